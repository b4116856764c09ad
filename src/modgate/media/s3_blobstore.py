"""``S3BlobStore``: the blob store on an S3 bucket (AWS or any S3-compatible endpoint), and how
S3's failures are answered: to the client in generic words, with the bucket, key and S3's own
message in the server log only."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from modgate.errors import (
    InvalidS3ObjectException,
    ModgateError,
    StoreUnavailableException,
)
from modgate.media.blobstore import check_key

log = logging.getLogger(__name__)


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
