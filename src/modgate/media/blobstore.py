"""Blob stores: where media bytes and their renditions live, behind one small interface.

``LocalBlobStore`` writes to a folder atomically and durably: a temporary file in the same folder,
fsynced, renamed into place, then the folder fsynced (a rename lives in the folder's entries: until
they reach the disk, a power cut can lose a blob whose record is already committed). A reader
never sees a partial file. A full disk or quota (``ENOSPC``, ``EDQUOT``, or ``EFBIG`` past the
process's file size limit) is ``InsufficientStorageException`` (507): the temporary file is
removed, nothing stored before is touched, and the same upload can be tried again later.
``S3BlobStore`` talks to any S3-compatible endpoint through boto3. Keys are relative,
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
    ModgateError,
    StoreUnavailableException,
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


class S3BlobStore:
    """An S3 bucket (AWS or any S3-compatible endpoint), under a key prefix."""

    on_this_machine = False

    def __init__(
        self, bucket: str, prefix: str = "", client: Any = None, **client_args: Any
    ) -> None:
        import boto3  # the s3 extra

        self.bucket = bucket
        self.prefix = prefix
        self.client = client or boto3.client("s3", **client_args)

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def location(self, key: str) -> tuple[str, str]:
        """The bucket and the full object key of blob ``key`` (for services that read it from
        S3 themselves, such as Rekognition's stored-video analysis)."""
        return self.bucket, self._key(key)

    def put_file(self, key: str, path: Path, content_type: str = "", consume: bool = False) -> None:
        full = self._key(key)
        extra = {"ExtraArgs": {"ContentType": content_type}} if content_type else {}
        self._call(full, self.client.upload_file, str(path), self.bucket, full, **extra)

    def put_bytes(self, key: str, data: bytes, content_type: str = "") -> None:
        full = self._key(key)
        extra = {"ContentType": content_type} if content_type else {}
        self._call(full, self.client.put_object, Bucket=self.bucket, Key=full, Body=data, **extra)

    def get_bytes(self, key: str) -> bytes:
        full = self._key(key)
        response = self._call(full, self.client.get_object, Bucket=self.bucket, Key=full)
        body: bytes = response["Body"].read()
        return body

    def head(self, key: str, size: int) -> bytes:
        full = self._key(key)
        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=full, Range=f"bytes=0-{size - 1}"
            )
        except s3_errors() as exc:
            if _error_code(exc) == "InvalidRange":  # an empty object has no first byte
                return b""
            raise client_s3_error(exc, self.bucket, full) from exc
        return bytes(response["Body"].read(size))

    def download(self, key: str, destination: Path) -> None:
        full = self._key(key)
        self._call(full, self.client.download_file, self.bucket, full, str(destination))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        full = self._key(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=full)
            return True
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                return False
            raise client_s3_error(exc, self.bucket, full) from exc

    def size(self, key: str) -> int:
        full = self._key(key)
        head = self._call(full, self.client.head_object, Bucket=self.bucket, Key=full)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        full = self._key(key)
        self._call(full, self.client.delete_object, Bucket=self.bucket, Key=full)

    def local_path(self, key: str) -> Path | None:
        return None

    def keys(self, prefix: str = "") -> list[str]:
        def listing() -> list[str]:
            paginator = self.client.get_paginator("list_objects_v2")
            return [
                item["Key"][len(self.prefix) :]
                for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
                for item in page.get("Contents", [])
            ]

        return sorted(self._call(self.prefix + prefix, listing))

    def _call(self, full_key: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        """``method(*args, **kwargs)``, its failure translated for object ``full_key``."""
        try:
            return method(*args, **kwargs)
        except s3_errors() as exc:
            raise client_s3_error(exc, self.bucket, full_key) from exc


def s3_errors() -> tuple[type[Exception], ...]:
    """What boto3 raises for a failed request (imported here: boto3 is the ``s3`` extra)."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError, S3UploadFailedError)


def s3_error(exc: Exception, bucket: str, key: str) -> ModgateError:
    """A boto3 failure on object ``key`` of ``bucket`` as the error an operator sees (the CLI):
    it names the bucket, the key and S3's answer.

    An object that is not there is the caller's problem (400, as Rekognition's
    ``InvalidS3ObjectException``). Anything else — no such bucket, refused credentials, S3
    unreachable or throttling — is the store's: 503, so an upload is answered "retry later"
    rather than blamed on its sender, and a job that meets it is tried again instead of failed
    for good (jobs treat 4xx errors as permanent)."""
    cause = exc.__context__ if type(exc).__name__ == "S3UploadFailedError" else exc
    code = _error_code(cause) if cause is not None else None
    where = f"{key!r} in S3 bucket {bucket!r}"
    if code in _MISSING:
        return InvalidS3ObjectException(f"There is no object {where}.")
    if code is None:  # no answer from S3: the endpoint could not be reached
        reason = cause or exc
        return StoreUnavailableException(
            f"S3 could not be reached for {where}: {type(reason).__name__}: {reason}"
        )
    return StoreUnavailableException(
        f"S3 refused the request for {where}: {code}: {_error_message(cause)}"
    )


def client_s3_error(exc: Exception, bucket: str, key: str) -> ModgateError:
    """``s3_error`` for an API client: the same class, in generic words that name no bucket or
    key; the details go to the server log."""
    detailed = s3_error(exc, bucket, key)
    if isinstance(detailed, InvalidS3ObjectException):
        log.info("%s", detailed.message)
        return InvalidS3ObjectException("The object does not exist in the blob store.")
    log.warning("%s", detailed.message)
    return StoreUnavailableException("The blob store cannot be used right now; retry later.")


# What S3 answers for an object that is not there (HEAD requests carry no error body).
_MISSING = ("404", "NoSuchKey", "NotFound")


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code) if code else None


def _error_message(exc: BaseException | None) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Message") or "no message")


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


def make_blob_store(settings: Any) -> BlobStore:
    """The blob store the settings ask for."""
    if settings.blob_store == "s3":
        args: dict[str, Any] = {"region_name": settings.s3_region}
        if settings.s3_endpoint_url:
            args["endpoint_url"] = settings.s3_endpoint_url
        return S3BlobStore(settings.s3_bucket, settings.s3_prefix, **args)
    return LocalBlobStore(settings.resolved_blob_dir)
