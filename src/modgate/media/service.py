"""Media intake: validate, content-address, store once, make reviewer previews.

Nothing is written before the file has passed every check, so a refused file leaves no row and no
blob. Identical bytes are stored once: a second upload returns the first record. The blob is
written before its row; a crash in between leaves only a content-addressed blob that the next
upload of the same bytes overwrites with identical content.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from modgate.db.base import new_id, utcnow
from modgate.errors import EmptyMediaException, VideoTooLargeException
from modgate.media.blobstore import BlobStore
from modgate.media.inspect import CHUNK, inspect_and_decode
from modgate.media.models import MediaInfo, MediaLimits
from modgate.media.previews import make_previews
from modgate.media.store import MediaRecord, MediaStore

logger = logging.getLogger(__name__)

_EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "BMP": "bmp",
    "TIFF": "tiff",
    "MP4": "mp4",
    "MOV": "mov",
    "WEBM": "webm",
    "MKV": "mkv",
    "AVI": "avi",
}


def blob_key(info: MediaInfo) -> str:
    return f"media/{info.sha256[:2]}/{info.sha256}.{_EXTENSIONS[info.format]}"


def preview_keys(sha256: str) -> tuple[str, str]:
    base = f"previews/{sha256[:2]}/{sha256}"
    return f"{base}.jpg", f"{base}.blurred.jpg"


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

    def ingest_path(self, path: Path, sha256: str | None = None) -> tuple[MediaRecord, bool]:
        """Intake the file at ``path``; returns the record and whether it was new."""
        info, decoded = inspect_and_decode(path, self.limits, sha256, self.preview_max_side)
        existing = self.store.get_by_sha256(info.sha256)
        if existing is not None:
            return existing, False
        previews = make_previews(
            path, info, self.preview_max_side, self.preview_blur_radius, decoded
        )
        key = blob_key(info)
        preview_key, blurred_key = preview_keys(info.sha256)
        self.blobs.put_file(key, path, info.mime)
        self.blobs.put_bytes(preview_key, previews.preview_jpeg, "image/jpeg")
        self.blobs.put_bytes(blurred_key, previews.blurred_jpeg, "image/jpeg")
        record = MediaRecord(new_id("med"), info, key, preview_key, blurred_key, utcnow())
        stored, created = self.store.add(record)
        if created:
            logger.info(
                "stored %s %s (%d bytes) as %s",
                info.format,
                info.sha256,
                info.size_bytes,
                stored.id,
            )
        return stored, created

    def ingest_stream(self, stream: IO[bytes]) -> tuple[MediaRecord, bool]:
        """Spool ``stream`` to a private file (hashing as it goes, size capped), then intake it."""
        with self.spooled(stream) as (path, sha256):
            return self.ingest_path(path, sha256)

    def ingest_bytes(self, data: bytes) -> tuple[MediaRecord, bool]:
        import io

        return self.ingest_stream(io.BytesIO(data))

    def spooled(self, stream: IO[bytes]) -> _Spool:
        return _Spool(stream, self.limits.max_upload_bytes, self.spool_dir)

    def read_blob(self, key: str) -> bytes:
        return self.blobs.get_bytes(key)


class _Spool:
    """Context manager: the stream copied to a temporary file, with its sha256."""

    def __init__(self, stream: IO[bytes], max_bytes: int, directory: Path | None) -> None:
        self.stream = stream
        self.max_bytes = max_bytes
        self.directory = directory
        self.name = ""

    def __enter__(self) -> tuple[Path, str]:
        if self.directory:
            self.directory.mkdir(parents=True, exist_ok=True)
        fd, self.name = tempfile.mkstemp(prefix="modgate-upload-", dir=self.directory)
        try:
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


def _chunks(stream: IO[bytes]) -> Iterable[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk
