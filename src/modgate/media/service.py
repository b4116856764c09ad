"""Media intake: validate, content-address, store once; reviewer previews when they are needed.

Nothing is written before the file has passed every check, so a refused file leaves no row and no
blob. Identical bytes are stored once: a second upload by the same tenant returns the first
record; another tenant gets a record of its own (the blob is shared, the record is not). The blob is
written before its row; a crash in between leaves only a content-addressed blob that the next
upload of the same bytes overwrites with identical content. A disk that fills up while an upload
is spooled or stored answers ``InsufficientStorageException`` (507) and leaves neither spool file
nor blob nor row: the same upload can be sent again once there is room.

Previews (a downscaled JPEG and a blurred one) are for people, and most media never meets one:
they are made the first time they are asked for — or by the pipeline when it routes an item to
review, so reviewers never wait — and kept in the blob store under keys fixed by the content.

Intake must decode every image to prove it; it decodes JPEGs at the smallest scale that does
(``decode_side``). A process that detects what it takes in raises ``decode_side`` to what the
detectors need and gives intake a ``FrameHandoff``: the decoded frame then goes to detection
instead of being decoded a second time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from PIL import Image

from modgate.db.base import new_id, utcnow
from modgate.errors import (
    EmptyMediaException,
    MediaDeletedException,
    ResourceNotFoundException,
    VideoTooLargeException,
)
from modgate.media.blobstore import (
    BlobStore,
    incoming_key,
    readable_path,
    storage_full_refused,
)
from modgate.media.inspect import CHUNK, inspect_and_decode
from modgate.media.models import MediaInfo, MediaLimits
from modgate.media.previews import make_previews, to_rgb
from modgate.media.store import MediaRecord, MediaStore
from modgate.media.text import TEXT_MIME, text_bytes, text_info
from modgate.processes import process_alive
from modgate.tenants import DEFAULT_TENANT

logger = logging.getLogger(__name__)

_EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "BMP": "bmp",
    "TIFF": "tiff",
    "AVIF": "avif",
    "MP4": "mp4",
    "MOV": "mov",
    "WEBM": "webm",
    "MKV": "mkv",
    "AVI": "avi",
    "TEXT": "txt",
}


def blob_key(info: MediaInfo) -> str:
    return f"media/{info.sha256[:2]}/{info.sha256}.{_EXTENSIONS[info.format]}"


def preview_keys(sha256: str, tenant: str = DEFAULT_TENANT) -> tuple[str, str]:
    """The clear and blurred preview keys of some bytes, per tenant: a preview one tenant had
    made is never handed (faster) to another, so its timing tells nothing of others' uploads."""
    folder = "previews" if tenant == DEFAULT_TENANT else f"previews/{tenant}"
    base = f"{folder}/{sha256[:2]}/{sha256}"
    return f"{base}.jpg", f"{base}.blurred.jpg"


class FrameHandoff:
    """Decoded still images, kept briefly for the detection that follows intake in this process.

    Bounded (oldest dropped first); a frame is taken once. A frame that is not here is simply
    decoded again from the stored file, so nothing depends on it being kept.
    """

    def __init__(self, side: int, capacity: int = 32) -> None:
        self.side = side
        self.capacity = capacity
        self._frames: OrderedDict[str, Image.Image] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, sha256: str, frame: Image.Image) -> None:
        with self._lock:
            self._frames[sha256] = frame
            self._frames.move_to_end(sha256)
            while len(self._frames) > self.capacity:
                self._frames.popitem(last=False)

    def take(self, sha256: str, side: int | None) -> Image.Image | None:
        """The frame of ``sha256`` decoded for ``side``, if intake left one."""
        with self._lock:
            frame = self._frames.pop(sha256, None)
        return frame if side == self.side else None


class MediaService:
    def __init__(
        self,
        store: MediaStore,
        blobs: BlobStore,
        limits: MediaLimits,
        preview_max_side: int = 512,
        preview_blur_radius: float = 24.0,
        spool_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.limits = limits
        self.preview_max_side = preview_max_side
        self.preview_blur_radius = preview_blur_radius
        self.spool_dir = spool_dir
        self.handoff: FrameHandoff | None = None

    def hand_off_frames(self, side: int, capacity: int = 32) -> FrameHandoff:
        """Keep the frames intake decodes, at ``side`` pixels, for detection in this process."""
        self.handoff = FrameHandoff(side, capacity)
        return self.handoff

    def ingest_blob(
        self, key: str, *, tenant: str = DEFAULT_TENANT, **intake: Any
    ) -> tuple[MediaRecord, bool]:
        """Intake the object a client of ``tenant`` uploaded to the blob store under ``key``
        (see ``ingest_path`` for ``intake``). Only keys under ``incoming/<tenant>/`` are
        accepted; an object larger than the largest accepted upload is refused from its size
        alone, before a byte of it is read."""
        incoming_key(key, tenant)
        size = self.blobs.size(key)
        if size > self.limits.max_upload_bytes:
            raise VideoTooLargeException(
                f"The object exceeds the largest accepted size ({self.limits.max_upload_bytes} "
                "bytes)."
            )
        if size == 0:
            raise EmptyMediaException()
        with tempfile.TemporaryDirectory(prefix="modgate-fetch-") as folder:
            path = Path(folder) / "object"
            self.blobs.download(key, path)
            return self.ingest_path(path, consume=True, tenant=tenant, **intake)

    def ingest_path(
        self,
        path: Path,
        sha256: str | None = None,
        *,
        defer_record: bool = False,
        consume: bool = False,
        before_store: Callable[[MediaInfo], None] | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> tuple[MediaRecord, bool]:
        """Intake the file at ``path`` for ``tenant``; returns the record and whether it was
        new to the tenant.

        ``consume``: ``path`` is a private copy the store may take (moved, not copied).
        ``defer_record``: a new record's bytes are stored but the record is not: the caller
        records it in its own transaction (``store.add_in``, then ``stored``), so the media row
        and what refers to it commit together. ``before_store`` sees the media once it is
        known valid and may refuse it (by raising) before anything is stored."""
        handoff = self.handoff
        # Proving an image needs every block read, not every pixel made: the smallest scale.
        side = handoff.side if handoff is not None else 1
        info, decoded = inspect_and_decode(path, self.limits, sha256, side)
        if before_store is not None:
            before_store(info)
        key = blob_key(info)
        # Recorded media have their bytes in the store. Where looking there is a file lookup
        # and finds none, the bytes are new without asking the database; a record of them
        # written meanwhile by another upload is found when this one's is written.
        if not self.blobs.on_this_machine or self.blobs.exists(key):
            existing = self.store.get_by_sha256(info.sha256, tenant)
            if existing is not None and not existing.originals_deleted:
                return existing, False
        preview_key, blurred_key = preview_keys(info.sha256, tenant)
        self.blobs.put_file(key, path, info.mime, consume=consume)
        if handoff is not None and decoded is not None and not info.animated:
            handoff.put(info.sha256, to_rgb(decoded))
        record = MediaRecord(new_id("med"), info, key, preview_key, blurred_key, utcnow(), tenant)
        if defer_record:
            return record, True
        stored, created = self.store.add(record)
        if created:
            self.stored(stored)
        return stored, created

    @staticmethod
    def stored(record: MediaRecord) -> None:
        """Say that ``record`` was stored (once its row is committed)."""
        info = record.info
        logger.info(
            "stored %s %s (%d bytes) as %s", info.format, info.sha256, info.size_bytes, record.id
        )

    def ingest_stream(
        self,
        stream: IO[bytes],
        *,
        defer_record: bool = False,
        before_store: Callable[[MediaInfo], None] | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> tuple[MediaRecord, bool]:
        """Spool ``stream`` to a private file (hashing as it goes, size capped), then intake it."""
        with self.spooled(stream) as (path, sha256):
            return self.ingest_path(
                path,
                sha256,
                defer_record=defer_record,
                consume=True,
                before_store=before_store,
                tenant=tenant,
            )

    def ingest_bytes(
        self,
        data: bytes,
        *,
        defer_record: bool = False,
        before_store: Callable[[MediaInfo], None] | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> tuple[MediaRecord, bool]:
        import io

        return self.ingest_stream(
            io.BytesIO(data),
            defer_record=defer_record,
            before_store=before_store,
            tenant=tenant,
        )

    def ingest_text(
        self,
        text: str | bytes,
        *,
        defer_record: bool = False,
        before_store: Callable[[MediaInfo], None] | None = None,
        tenant: str = DEFAULT_TENANT,
        field: str = "text",
    ) -> tuple[MediaRecord, bool]:
        """Intake a submitted text (see ``modgate.media.text``) for ``tenant``, as
        ``ingest_path`` intakes a file."""
        data = text_bytes(text, self.limits, field)
        info = text_info(data)
        if before_store is not None:
            before_store(info)
        key = blob_key(info)
        if not self.blobs.on_this_machine or self.blobs.exists(key):
            existing = self.store.get_by_sha256(info.sha256, tenant)
            if existing is not None:
                return existing, False
        self.blobs.put_bytes(key, data, TEXT_MIME)
        record = MediaRecord(new_id("med"), info, key, None, None, utcnow(), tenant)
        if defer_record:
            return record, True
        stored, created = self.store.add(record)
        if created:
            self.stored(stored)
        return stored, created

    def read_text(self, record: MediaRecord) -> str:
        """The text a ``text`` record holds."""
        return self.blobs.get_bytes(record.blob_key).decode("utf-8")

    def spooled(self, stream: IO[bytes]) -> _Spool:
        return _Spool(stream, self.limits.max_upload_bytes, self.spool_dir)

    def read_blob(self, key: str) -> bytes:
        return self.blobs.get_bytes(key)

    def preview(self, record: MediaRecord, blurred: bool = True) -> bytes:
        """The reviewer preview of ``record`` (JPEG), made now if it was never asked for;
        ``MediaDeletedException`` once retention or erasure deleted it."""
        if record.info.kind == "text":
            raise ResourceNotFoundException("A text has no preview; its moderation shows it.")
        gone = MediaDeletedException(f"The previews of media {record.id} were deleted.")
        if record.previews_deleted:
            raise gone
        preview_key, blurred_key = preview_keys(record.info.sha256, record.tenant)
        key = blurred_key if blurred else preview_key
        if not self.blobs.exists(key):
            if record.originals_deleted:
                raise gone  # nothing left to make them from
            self.make_previews(record)
        return self.blobs.get_bytes(key)

    def make_previews(self, record: MediaRecord, frame: Image.Image | None = None) -> None:
        """Make and store both previews of ``record`` unless they exist; ``frame`` is the image
        already decoded (it is shrunk in place), or None to decode the stored file."""
        preview_key, blurred_key = preview_keys(record.info.sha256, record.tenant)
        if self.blobs.exists(blurred_key) and self.blobs.exists(preview_key):
            return
        info = record.info
        if frame is not None and max(frame.size) < min(
            self.preview_max_side, max(info.width, info.height)
        ):
            frame = None  # decoded too small for a sharp preview: decode the file instead
        with readable_path(self.blobs, record.blob_key) as path:
            previews = make_previews(
                path, record.info, self.preview_max_side, self.preview_blur_radius, frame
            )
        # Two writers racing here write identical bytes; each write is atomic.
        self.blobs.put_bytes(preview_key, previews.preview_jpeg, "image/jpeg")
        self.blobs.put_bytes(blurred_key, previews.blurred_jpeg, "image/jpeg")


class _Spool:
    """Context manager: the stream copied to a temporary file, with its sha256."""

    def __init__(self, stream: IO[bytes], max_bytes: int, directory: Path | None) -> None:
        self.stream = stream
        self.max_bytes = max_bytes
        self.directory = directory
        self.name = ""

    def __enter__(self) -> tuple[Path, str]:
        try:
            with storage_full_refused("upload"):
                if self.directory:
                    self.directory.mkdir(parents=True, exist_ok=True)
                fd, self.name = tempfile.mkstemp(
                    prefix=_spool_prefix(os.getpid()), dir=self.directory
                )
                return Path(self.name), self._copy(fd)
        except BaseException:
            self.__exit__()
            raise

    def _copy(self, fd: int) -> str:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(self.stream):
                size += len(chunk)
                if size > self.max_bytes:
                    raise VideoTooLargeException(
                        f"The upload exceeds the largest accepted size ({self.max_bytes} bytes)."
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise EmptyMediaException()
        return digest.hexdigest()

    def __exit__(self, *exc: object) -> None:
        if self.name:
            Path(self.name).unlink(missing_ok=True)


def _spool_prefix(pid: int) -> str:
    """Spool files are named after the process writing them (``modgate-upload-<host>.<pid>-``),
    so one left behind by a process that died mid-upload can be told from one in use."""
    return f"modgate-upload-{socket.gethostname()}.{pid}-"


def remove_abandoned_spool(directory: Path) -> int:
    """Delete the spool files of processes on this machine that no longer run; how many.

    A process killed mid-upload (OOM killer, ``kill -9``, a crash) never deletes its spool file,
    and an upload may be gigabytes of video. Called at start-up; files of live processes, of
    other machines sharing the folder and of unknown names are left alone.
    """
    removed = 0
    prefix = f"modgate-upload-{socket.gethostname()}."
    for path in directory.glob(f"{prefix}*") if directory.is_dir() else ():
        pid = path.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _chunks(stream: IO[bytes]) -> Iterable[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk
