"""modgate asking Amazon Rekognition — here a second modgate server answering as Rekognition,
over real HTTP and SigV4 (boto3's ``endpoint_url`` pointing at it). The first server runs the
marker detector locally and the ``rekognition`` backend where its cascade says; the second one's
marker sees what the first one's cannot. Stored video goes through StartContentModeration on a
real S3 endpoint (moto's server)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from corpus import video_bytes
from modgate.app import create_app
from modgate.detection.remote.rekognition import RekognitionDetector
from modgate.detection.remote.usage import RemoteUsage, remote_usage
from modgate.errors import RemoteBackendUnavailableException
from modgate.outbound import OutboundGuard, OutboundPolicy
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import marker_png, plain_png, wait_decided
from servers import LiveServer

PREFIX = "modgate/"
BLUE = (30, 90, 200)  # plain_png's colour: the answering server's marker calls it a Nazi symbol


@dataclass
class Answering:
    url: str
    key: dict[str, str]
    bucket: str
    s3: Any


@pytest.fixture(scope="module")
def answering(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[Answering]:
    """The modgate server that answers as Rekognition."""
    bucket = f"answering-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("answering") / "data",
        detection={
            "enabled": ["marker"],
            "options": {"marker": {"colour": list(BLUE), "label": "Nazi Party"}},
        },
        pipeline={"workers": 1, "poll_seconds": 0.1},
        blob_store="s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_endpoint,
        s3_prefix=PREFIX,
    )
    services = Services.build(settings)
    made, _ = services.auth.create_aws_key(
        "first-server",
        ["moderations:write", "moderations:read"],
        "acme",
        actor="cli:tests@localhost",
    )
    key = {
        "aws_access_key_id": made.access_key_id,
        "aws_secret_access_key": made.secret_access_key,
    }
    try:
        with LiveServer(create_app(settings, services)) as live:
            yield Answering(live.url, key, bucket, s3)
    finally:
        services.close()


def rekognition_options(answering: Answering) -> dict[str, Any]:
    return {
        "endpoint_url": answering.url,
        "region": "eu-west-1",
        "retries": 0,
        "timeout_seconds": 30,
        "video_poll_seconds": 0.2,
    } | answering.key


@pytest.fixture
def asking(answering: Answering, tmp_path: Path) -> Iterator[str]:
    """The modgate server that asks: marker locally, the other server as Rekognition."""
    settings = load_settings(
        data_dir=tmp_path / "data",
        auth={"api_keys_required": False},
        outbound_allow="127.0.0.1/32",  # the answering server
        detection={
            "enabled": ["marker", "rekognition"],
            "options": {"rekognition": rekognition_options(answering)},
            "cascade": {"*": {"remote": "never"}, "profile": {"labels": ["Hate Symbols"]}},
        },
        pipeline={"workers": 1, "poll_seconds": 0.1, "retry_backoff_seconds": 0.1},
    )
    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as live:
            yield live.url
    finally:
        services.close()


def moderate(url: str, media: bytes, surface: str) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.png", media)},
        data={"surface": surface},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_surface_needing_hate_symbols_asks_rekognition_over_the_wire(
    asking: str, answering: Answering
) -> None:
    before = remote_usage().snapshot()
    # The local marker sees nothing in a blue picture; the surface's rule keeps it local.
    assert moderate(asking, plain_png(1), "default")["action"] == "allow"
    # A surface that needs Hate Symbols, which no local model covers: Rekognition is asked.
    body = moderate(asking, plain_png(2), "profile")
    assert body["action"] == "block"
    assert "Nazi Party" in {label["Name"] for label in body["labels"]}
    assert "rekognition-1/7.0" in body["model_version"]
    # Local and remote evidence are fused: the local hit stays, the remote adds nothing.
    both = moderate(asking, marker_png(3), "profile")
    assert both["action"] == "block"
    assert "Explicit Nudity" in {label["Name"] for label in both["labels"]}
    after = remote_usage().snapshot()
    calls = after.backend("rekognition", "calls") - before.backend("rekognition", "calls")
    assert calls == 2
    # Each call was a moderation on the answering server, in the tenant of the key it signed with.
    client = boto3.client(
        "rekognition", endpoint_url=answering.url, region_name="eu-west-1", **answering.key
    )
    assert client.detect_moderation_labels(Image={"Bytes": plain_png(4)})["ModerationLabels"]


def test_a_stored_video_goes_through_start_content_moderation(answering: Answering) -> None:
    key = f"{PREFIX}incoming/acme/clip-{uuid.uuid4().hex[:6]}.mp4"
    answering.s3.put_object(
        Bucket=answering.bucket,
        Key=key,
        Body=video_bytes(seconds=3.0, colour_at=(1.0, 2.0, BLUE)),
    )
    usage = RemoteUsage()
    detector = RekognitionDetector(
        rekognition_options(answering),
        outbound=OutboundGuard(OutboundPolicy.parse("127.0.0.1/32")),
        usage=usage,
    )
    detector.setup()
    try:
        result = detector.moderate_stored_video(answering.bucket, key)
    finally:
        detector.close()
    flagged = [
        ms for ms, output in result.samples if any(e.label == "Nazi Party" for e in output.evidence)
    ]
    assert flagged and all(1000 <= ms < 2000 for ms in flagged)
    assert 2900 <= result.duration_ms <= 3100
    assert usage.snapshot().backend("rekognition", "video_minutes") == pytest.approx(
        result.duration_ms / 60_000
    )
    missing = RekognitionDetector(
        rekognition_options(answering),
        outbound=OutboundGuard(OutboundPolicy.parse("127.0.0.1/32")),
        usage=usage,
    )
    missing.setup()
    with pytest.raises(RemoteBackendUnavailableException, match="InvalidS3ObjectException"):
        missing.start_stored_video(answering.bucket, f"{PREFIX}incoming/acme/none.mp4")


def test_a_video_in_s3_goes_whole_to_start_content_moderation(
    answering: Answering, s3_endpoint: str, tmp_path: Path
) -> None:
    """The asking server keeps its blobs in the answering server's bucket, under the answering
    server's incoming/<tenant>/ prefix, as a team would share a bucket with Rekognition."""
    settings = load_settings(
        data_dir=tmp_path / "data",
        auth={"api_keys_required": False},
        outbound_allow="127.0.0.1/32",
        blob_store="s3",
        s3_bucket=answering.bucket,
        s3_endpoint_url=s3_endpoint,
        s3_prefix=f"{PREFIX}incoming/acme/asking/",
        detection={
            "enabled": ["marker", "rekognition"],
            "options": {"rekognition": rekognition_options(answering) | {"stored_videos": True}},
            "cascade": {"*": {"remote": "never"}, "profile": {"labels": ["Hate Symbols"]}},
        },
        pipeline={"workers": 1, "poll_seconds": 0.1, "retry_backoff_seconds": 0.1},
    )
    services = Services.build(settings)
    before = remote_usage().snapshot()
    try:
        with LiveServer(create_app(settings, services)) as live:
            clip = video_bytes(seconds=3.0, colour_at=(1.0, 2.0, BLUE))
            response = httpx.post(
                f"{live.url}/v1/moderations",
                files={"file": ("clip.mp4", clip)},
                data={"surface": "profile"},
                timeout=60,
            )
            assert response.status_code == 202, response.text
            body = wait_decided(live.url, response.json()["id"], timeout=120)
    finally:
        services.close()
    assert body["action"] == "block", body
    found = {segment["ModerationLabel"]["Name"]: segment for segment in body["segments"]}
    assert "Nazi Party" in found, body["segments"]
    assert 1000 <= found["Nazi Party"]["StartTimestampMillis"] < 2000
    after = remote_usage().snapshot()
    # One stored-video job, no frame sent one by one.
    assert after.backend("rekognition", "images") == before.backend("rekognition", "images")
    minutes = after.backend("rekognition", "video_minutes") - before.backend(
        "rekognition", "video_minutes"
    )
    assert minutes == pytest.approx(3 / 60, rel=0.1)
    looked, sent = (
        after.cascade["profile"][i] - before.cascade.get("profile", (0, 0))[i] for i in (0, 1)
    )
    assert looked == sent and looked >= 3
