"""``{"media": {"blob_key": …}}`` over real HTTP, with a local and an S3 blob store.

A client may name only objects under its own tenant's incoming prefix, ``incoming/<tenant>/…``:
another tenant's uploads, stored media, previews, thumbnails and malformed keys are refused
(400) before the store is asked anything. An object larger than the largest accepted upload is
refused (413) from its size alone: not one byte of it is read. S3 failures answer without the
bucket's name.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx
import pytest

from modgate.app import create_app
from modgate.auth.models import SCOPES
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import marker_png
from servers import LiveServer

MB = 1024 * 1024
LIMIT = 2 * MB  # the largest accepted upload here (max_video_bytes)


@dataclass
class Setup:
    store: str
    a: httpx.Client  # tenant acme
    b: httpx.Client  # tenant globex
    services: Any
    bucket: str = ""
    reads: list[str] = field(default_factory=list)  # keys whose bytes were asked for
    gets: list[str] = field(default_factory=list)  # S3 GetObject requests made

    def put(self, key: str, data: bytes) -> None:
        self.services.blobs.put_bytes(key, data)


def _client(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60)


def _count_reads(setup: Setup) -> None:
    """Record every read of a blob's bytes through the running server's store."""
    blobs = setup.services.blobs
    for name in ("download", "get_bytes", "local_path"):
        original = getattr(blobs, name)

        def counted(key: str, *args: Any, _original: Any = original) -> Any:
            setup.reads.append(key)
            return _original(key, *args)

        setattr(blobs, name, counted)
    if setup.store == "s3":

        def on_get(params: dict[str, Any], **_: Any) -> None:
            setup.gets.append(params["Key"])

        blobs.client.meta.events.register("before-parameter-build.s3.GetObject", on_get)


@pytest.fixture(scope="module", params=["local", "s3"])
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("blob_keys")
    store: dict[str, Any] = {}
    bucket = ""
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = f"modgate-{uuid.uuid4().hex[:8]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=bucket
        )
        store = {"blob_store": "s3", "s3_bucket": bucket, "s3_endpoint_url": endpoint}
    settings = load_settings(
        data_dir=tmp / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.1},
        max_image_bytes=MB,
        max_video_bytes=LIMIT,
        **store,
    )
    services = Services.build(settings)
    key_a = services.auth.create_key("shop", SCOPES, "acme", actor="cli:tests@localhost")[0]
    key_b = services.auth.create_key("shop", SCOPES, "globex", actor="cli:tests@localhost")[0]
    with (
        LiveServer(create_app(settings, services)) as live,
        _client(live.url, key_a) as a,
        _client(live.url, key_b) as b,
    ):
        found = Setup(request.param, a, b, services, bucket)
        _count_reads(found)
        yield found
    services.close()


def _by_key(client: httpx.Client, key: str) -> httpx.Response:
    return client.post(
        "/v1/moderations", params={"wait": "true"}, json={"media": {"blob_key": key}}
    )


def assert_refused(answer: httpx.Response, setup: Setup) -> None:
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "BlobKeyNotAllowedException"
    assert "incoming/<tenant>/" in error["message"]
    if setup.bucket:
        assert setup.bucket not in answer.text


def test_an_object_in_the_callers_incoming_prefix_is_moderated(setup: Setup) -> None:
    setup.put("incoming/acme/x.jpg", marker_png(seed=1))
    answer = _by_key(setup.a, "incoming/acme/x.jpg")
    assert answer.status_code in (200, 201), answer.text
    assert answer.json()["media"]["kind"] == "image"


def test_another_tenants_upload_is_refused_without_being_read(setup: Setup) -> None:
    setup.put("incoming/acme/private.jpg", marker_png(seed=2))
    before = (len(setup.reads), len(setup.gets))
    assert_refused(_by_key(setup.b, "incoming/acme/private.jpg"), setup)
    assert (len(setup.reads), len(setup.gets)) == before


def test_stored_media_and_renditions_cannot_be_named(setup: Setup) -> None:
    uploaded = setup.a.post("/v1/media", files={"file": ("m.png", marker_png(seed=3))})
    assert uploaded.status_code in (200, 201), uploaded.text
    record = setup.services.media.store.get(uploaded.json()["id"], "acme")
    assert record.blob_key.startswith("media/") and setup.services.blobs.exists(record.blob_key)
    for key in (record.blob_key, f"previews/{record.info.sha256}.jpg", "thumbnails/x/1.jpg"):
        assert_refused(_by_key(setup.a, key), setup)
        assert_refused(_by_key(setup.b, key), setup)


@pytest.mark.parametrize(
    "key",
    [
        "../incoming/acme/x.jpg",
        "incoming/globex/../acme/x.jpg",
        "incoming/acme/../acme/x.jpg",
        "/incoming/acme/x.jpg",
        "incoming//acme/x.jpg",
        "incoming/acme//x.jpg",
        "incoming/acme/",
        "incoming/acme",
        "incoming/acme\\x.jpg",
        "x.jpg",
    ],
)
def test_malformed_keys_are_refused(setup: Setup, key: str) -> None:
    setup.put("incoming/acme/x.jpg", marker_png(seed=1))
    assert_refused(_by_key(setup.a, key), setup)


def test_a_too_large_object_is_refused_before_any_byte_is_read(setup: Setup) -> None:
    key = "incoming/acme/huge.mp4"
    if setup.store == "local":  # sparse: the size is there, the bytes are not
        path = setup.services.settings.resolved_blob_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            out.truncate(LIMIT + 1)
    else:
        setup.put(key, b"\0" * (LIMIT + 1))
    before = (list(setup.reads), list(setup.gets))
    answer = _by_key(setup.a, key)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["code"] == "VideoTooLargeException"
    assert (setup.reads, setup.gets) == before


def test_a_missing_object_names_no_bucket(setup: Setup) -> None:
    answer = _by_key(setup.a, "incoming/acme/missing.jpg")
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "InvalidS3ObjectException"
    if setup.bucket:
        assert setup.bucket not in answer.text and "modgate/" not in answer.text
