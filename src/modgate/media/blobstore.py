"""Blob stores: where media bytes and their renditions live, behind one small interface.

``LocalBlobStore`` writes to a folder atomically (temporary file in the same folder, fsync, then
rename), so a reader never sees a partial file. ``S3BlobStore`` talks to any S3-compatible
endpoint through boto3. Keys are relative, slash-separated paths such as
``media/ab/abcdef….jpg``.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from modgate.errors import InvalidParameterException, InvalidS3ObjectException, ModgateError


@runtime_checkable
class BlobStore(Protocol):
    #: Blobs are files on this machine: ``exists`` is a file lookup, not a network request.
    on_this_machine: bool

    def put_file(
        self, key: str, path: Path, content_type: str = ..., consume: bool = ...
    ) -> None:
        """Store the file at ``path``. ``consume``: the caller no longer needs the file (a
        private spool file), so a local store may move it into place instead of copying it."""
        ...

    def put_bytes(self, key: str, data: bytes, content_type: str = ...) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def download(self, key: str, destination: Path) -> None: ...
    def exists(self, key: str) -> bool: ...
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


class LocalBlobStore:
    """A folder on the local disk."""

    on_this_machine = True

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(
        self, key: str, path: Path, content_type: str = "", consume: bool = False
    ) -> None:
        if consume and self._move(key, path):
            return
        with path.open("rb") as source:
            self._write(key, lambda out: _copy(source, out))

    def _move(self, key: str, path: Path) -> bool:
        """Make ``path`` the blob by renaming it (durable first); False across filesystems."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
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
        return True

    def put_bytes(self, key: str, data: bytes, content_type: str = "") -> None:
        self._write(key, lambda out: out.write(data))

    def _write(self, key: str, writer: Any) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
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

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise InvalidS3ObjectException(f"No blob {key!r} in the local store.") from exc

    def download(self, key: str, destination: Path) -> None:
        source = self._path(key)
        if not source.is_file():
            raise InvalidS3ObjectException(f"No blob {key!r} in the local store.")
        with source.open("rb") as handle, destination.open("wb") as out:
            _copy(handle, out)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

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

    def put_file(
        self, key: str, path: Path, content_type: str = "", consume: bool = False
    ) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self._call(
            self.client.upload_file, str(path), self.bucket, self._key(key), ExtraArgs=extra or None
        )

    def put_bytes(self, key: str, data: bytes, content_type: str = "") -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self._call(
            self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data, **extra
        )

    def get_bytes(self, key: str) -> bytes:
        response = self._call(self.client.get_object, Bucket=self.bucket, Key=self._key(key))
        body: bytes = response["Body"].read()
        return body

    def download(self, key: str, destination: Path) -> None:
        self._call(self.client.download_file, self.bucket, self._key(key), str(destination))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise _s3_error(exc, key) from exc

    def delete(self, key: str) -> None:
        self._call(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    def local_path(self, key: str) -> Path | None:
        return None

    def keys(self, prefix: str = "") -> list[str]:
        found: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            found.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return sorted(found)

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        if kwargs.get("ExtraArgs", "") is None:
            kwargs.pop("ExtraArgs")
        try:
            return method(*args, **kwargs)
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            raise _s3_error(exc, str(kwargs.get("Key", args[2] if len(args) > 2 else ""))) from exc


def _s3_error(exc: Exception, key: str) -> ModgateError:
    return InvalidS3ObjectException(f"S3 request for {key!r} failed: {exc}")


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
