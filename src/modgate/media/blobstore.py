"""Blob stores: where media bytes and their renditions live, behind one small interface.

``LocalBlobStore`` writes to a folder atomically and durably: a temporary file in the same folder,
fsynced, renamed into place, then the folder fsynced (a rename lives in the folder's entries: until
they reach the disk, a power cut can lose a blob whose record is already committed). A reader
never sees a partial file. A full disk or quota (``ENOSPC``, ``EDQUOT``, or ``EFBIG`` past the
process's file size limit) is ``InsufficientStorageException`` (507): the temporary file is
removed, nothing stored before is touched, and the same upload can be tried again later.
``S3BlobStore`` (``modgate.media.s3_blobstore``) talks to any S3-compatible endpoint through
boto3. Keys are relative,
slash-separated paths such as ``media/ab/abcdef….jpg``.

Clients may name an object to moderate only under their own tenant's incoming prefix,
``incoming/<tenant>/…`` (``incoming_key``): the rest of the store (stored media, previews,
thumbnails, other tenants' uploads) is modgate's. An S3 failure is answered to the client in
generic words; the bucket, key and S3's own message go to the server log only.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from modgate.errors import (
    BlobKeyNotAllowedException,
    InsufficientStorageException,
    InvalidParameterException,
    InvalidS3ObjectException,
)

log = logging.getLogger(__name__)

#: The top-level folder clients upload to: ``incoming/<tenant>/…``.
INCOMING = "incoming"


@runtime_checkable
class BlobStore(Protocol):
    #: Blobs are files on this machine: ``exists`` is a file lookup, not a network request.
    on_this_machine: bool

    def put_file(self, key: str, path: Path, content_type: str = ..., consume: bool = ...) -> None:
        """Store the file at ``path``. ``consume``: the caller no longer needs the file (a
        private spool file), so a local store may move it into place instead of copying it."""
        ...

    def put_bytes(self, key: str, data: bytes, content_type: str = ...) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def head(self, key: str, size: int) -> bytes:
        """The blob's first ``size`` bytes (all of it when shorter), read without the rest."""
        ...

    def download(self, key: str, destination: Path) -> None: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int:
        """The blob's length in bytes, asked without reading it (a stat, a HEAD request)."""
        ...

    def delete(self, key: str) -> None: ...
    def keys(self, prefix: str = "") -> list[str]: ...
    def local_path(self, key: str) -> Path | None:
        """The blob's file when the store is on this machine (read it in place), else None."""
        ...


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise InvalidParameterException(f"Invalid blob key {key!r}.")
    return key


def incoming_key(key: str, tenant: str) -> str:
    """``key`` if a client of ``tenant`` may name it: a well-formed key under
    ``incoming/<tenant>/``. Anything else (another tenant's prefix, stored media, previews,
    thumbnails, ``..``, absolute paths, empty segments) is ``BlobKeyNotAllowedException``, in
    words that name neither the bucket nor the key."""
    prefix = f"{INCOMING}/{tenant}/"
    try:
        check_key(key)
    except InvalidParameterException as exc:
        raise BlobKeyNotAllowedException() from exc
    if not key.startswith(prefix) or len(key) == len(prefix):
        raise BlobKeyNotAllowedException()
    return key


class LocalBlobStore:
    """A folder on the local disk."""

    on_this_machine = True

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path, content_type: str = "", consume: bool = False) -> None:
        with storage_full_refused(f"blob {key!r}"):
            if consume and self._move(key, path):
                return
            with path.open("rb") as source:
                self._write(key, lambda out: _copy(source, out))

    def _move(self, key: str, path: Path) -> bool:
        """Make ``path`` the blob by renaming it (durable first); False across filesystems."""
        target = self._path(key)
        make_folder(target.parent)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.replace(path, target)
        except OSError as exc:
            if exc.errno == errno.EXDEV:
                return False
            raise
        fsync_folder(target.parent)
        return True

    def put_bytes(self, key: str, data: bytes, content_type: str = "") -> None:
        with storage_full_refused(f"blob {key!r}"):
            self._write(key, lambda out: out.write(data))

    def _write(self, key: str, writer: Any) -> None:
        target = self._path(key)
        make_folder(target.parent)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                writer(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        fsync_folder(target.parent)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise InvalidS3ObjectException(f"No blob {key!r} in the local store.") from exc

    def head(self, key: str, size: int) -> bytes:
        try:
            with self._path(key).open("rb") as handle:
                return handle.read(size)
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise InvalidS3ObjectException(f"No blob {key!r} in the local store.") from exc

    def download(self, key: str, destination: Path) -> None:
        source = self._path(key)
        if not source.is_file():
            raise InvalidS3ObjectException(f"No blob {key!r} in the local store.")
        with source.open("rb") as handle, destination.open("wb") as out:
            _copy(handle, out)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise InvalidS3ObjectException(f"No blob {key!r} in the local store.")
        return path.stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        if not path.is_file():
            raise InvalidS3ObjectException(f"No blob {key!r} in the local store.")
        return path

    def keys(self, prefix: str = "") -> list[str]:
        found = []
        for path in self.root.rglob("*"):
            if path.is_file() and not path.name.startswith(".incoming-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(key)
        return sorted(found)


# What the kernel answers when there is no room: the disk is full, the user's quota is reached,
# or the file would pass the process's file size limit (RLIMIT_FSIZE).
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@contextmanager
def storage_full_refused(what: str) -> Iterator[None]:
    """Translate "no room" from the file system, while ``what`` is written, into
    ``InsufficientStorageException``; other ``OSError``s pass unchanged."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _NO_ROOM:
            raise
        raise InsufficientStorageException(
            f"There is no room left to store the {what} ({os.strerror(exc.errno)}); nothing "
            "was kept. Try again later.",
            reason=errno.errorcode.get(exc.errno, str(exc.errno)),
        ) from exc


def make_folder(folder: Path) -> None:
    """``folder`` and its missing parents, each new one's entry made durable in its parent."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for child in reversed(missing):
        child.mkdir(exist_ok=True)
        fsync_folder(child.parent)


def fsync_folder(folder: Path) -> None:
    """Make the entries of ``folder`` (files renamed or created in it) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: Any, out: Any) -> None:
    while chunk := source.read(1024 * 1024):
        out.write(chunk)


@contextmanager
def readable_path(blobs: BlobStore, key: str) -> Iterator[Path]:
    """A file path to read blob ``key`` from for the duration: the stored file itself in a local
    store, a private temporary copy (removed afterwards) from a remote one."""
    path = blobs.local_path(key)
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="modgate-blob-") as folder:
        copy = Path(folder) / "blob"
        blobs.download(key, copy)
        yield copy
