"""The blob store the settings ask for: a local folder (the default) or an S3 bucket."""

from __future__ import annotations

from typing import Any

from modgate.media.blobstore import BlobStore, LocalBlobStore
from modgate.media.s3_blobstore import S3BlobStore


def make_blob_store(settings: Any) -> BlobStore:
    """The blob store the settings ask for."""
    if settings.blob_store == "s3":
        args: dict[str, Any] = {"region_name": settings.s3_region}
        if settings.s3_endpoint_url:
            args["endpoint_url"] = settings.s3_endpoint_url
        return S3BlobStore(settings.s3_bucket, settings.s3_prefix, **args)
    return LocalBlobStore(settings.resolved_blob_dir)
