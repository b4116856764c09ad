"""``BlobStore.size``: a blob's length asked without reading it, for a local folder and S3."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from modgate.errors import InvalidS3ObjectException
from modgate.media import LocalBlobStore, S3BlobStore
from modgate.media.blobstore import BlobStore


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"modgate-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    return S3BlobStore(bucket, "prefix/", client=client)


def test_size_is_the_blob_length_and_reads_no_bytes(store: BlobStore) -> None:
    store.put_bytes("incoming/acme/a.bin", b"z" * 123_456)
    gets: list[Any] = []
    if isinstance(store, S3BlobStore):
        store.client.meta.events.register(
            "before-parameter-build.s3.GetObject", lambda **kw: gets.append(kw)
        )
    assert store.size("incoming/acme/a.bin") == 123_456
    assert gets == []


def test_size_of_a_missing_blob_is_invalid_s3_object(store: BlobStore) -> None:
    with pytest.raises(InvalidS3ObjectException) as raised:
        store.size("incoming/acme/missing.bin")
    if isinstance(store, S3BlobStore):
        assert store.bucket not in raised.value.message
