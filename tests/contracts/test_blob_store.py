"""The contract every BlobStore passes: a local folder, and S3 over real HTTP (moto's server)."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import pytest

from modgate.errors import InvalidParameterException, InvalidS3ObjectException
from modgate.media import LocalBlobStore, S3BlobStore
from modgate.media.blobstore import BlobStore, readable_path


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"modgate-{uuid.uuid4().hex[:8]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=bucket)
    return S3BlobStore(bucket, "prefix/", client=client)


def test_round_trip(store: BlobStore, tmp_path: Path) -> None:
    store.put_bytes("media/ab/one.bin", b"hello")
    source = tmp_path / "two.bin"
    source.write_bytes(b"x" * 3_000_000)
    store.put_file("media/cd/two.bin", source)
    assert store.get_bytes("media/ab/one.bin") == b"hello"
    assert store.exists("media/cd/two.bin")
    target = tmp_path / "back.bin"
    store.download("media/cd/two.bin", target)
    assert target.read_bytes() == source.read_bytes()
    assert store.keys("media/") == ["media/ab/one.bin", "media/cd/two.bin"]
    store.delete("media/ab/one.bin")
    assert not store.exists("media/ab/one.bin")


def test_a_consumed_file_is_stored_whole_and_never_needed_again(
    store: BlobStore, tmp_path: Path
) -> None:
    source = tmp_path / "spooled.bin"
    source.write_bytes(b"y" * 2_000_000)
    store.put_file("media/ef/three.bin", source, consume=True)
    assert store.get_bytes("media/ef/three.bin") == b"y" * 2_000_000
    if isinstance(store, LocalBlobStore):  # moved into place, not copied
        assert not source.exists()
        assert not [p for p in store.root.rglob(".incoming-*")]


def test_missing_key_is_a_clear_error(store: BlobStore) -> None:
    with pytest.raises(InvalidS3ObjectException):
        store.get_bytes("media/none/here.jpg")


def test_head_reads_only_the_first_bytes(store: BlobStore) -> None:
    store.put_bytes("media/ab/long.bin", bytes(range(256)) * 100)
    store.put_bytes("media/ab/short.bin", b"abc")
    store.put_bytes("media/ab/empty.bin", b"")
    assert store.head("media/ab/long.bin", 300) == (bytes(range(256)) * 2)[:300]
    assert store.head("media/ab/short.bin", 300) == b"abc"
    assert store.head("media/ab/empty.bin", 300) == b""
    with pytest.raises(InvalidS3ObjectException):
        store.head("media/none/here.bin", 300)


@pytest.mark.parametrize("key", ["../escape", "/abs", "a//b", "a/./b", ""])
def test_unsafe_keys_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidParameterException):
        store.put_bytes(key, b"x")


def test_local_path_only_for_blobs_on_this_machine(store: BlobStore) -> None:
    store.put_bytes("media/ab/x.bin", b"abc")
    path = store.local_path("media/ab/x.bin")
    if isinstance(store, LocalBlobStore):
        assert path is not None and path.read_bytes() == b"abc"
        with pytest.raises(InvalidS3ObjectException):
            store.local_path("media/ab/missing.bin")
    else:
        assert path is None


def test_readable_path_reads_any_store_and_leaves_no_copy(store: BlobStore) -> None:
    store.put_bytes("media/cd/y.bin", b"payload")
    with readable_path(store, "media/cd/y.bin") as path:
        assert path.read_bytes() == b"payload"
    if isinstance(store, LocalBlobStore):
        assert path.exists()  # the stored file itself
    else:
        assert not path.exists()  # a private copy, removed afterwards
    with pytest.raises(InvalidS3ObjectException), readable_path(store, "media/cd/none.bin"):
        pass
