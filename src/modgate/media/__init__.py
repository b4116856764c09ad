"""Media intake: real-type detection, limits, content addressing, blob stores, previews."""

from modgate.media.blob_stores import make_blob_store
from modgate.media.blobstore import BlobStore, LocalBlobStore
from modgate.media.inspect import inspect_bytes, inspect_path, sha256_file
from modgate.media.models import MediaInfo, MediaKind, MediaLimits
from modgate.media.s3_blobstore import S3BlobStore
from modgate.media.service import MediaService
from modgate.media.store import InMemoryMediaStore, MediaRecord, MediaStore, SqlMediaStore

__all__ = [
    "BlobStore",
    "InMemoryMediaStore",
    "LocalBlobStore",
    "MediaInfo",
    "MediaKind",
    "MediaLimits",
    "MediaRecord",
    "MediaService",
    "MediaStore",
    "S3BlobStore",
    "SqlMediaStore",
    "inspect_bytes",
    "inspect_path",
    "make_blob_store",
    "sha256_file",
]
