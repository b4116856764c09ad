"""The ``rekognition`` backend against botocore's ``Stubber``: labels map 1:1 onto v7,
throttling is retried, refused images are not, malformed answers are refused, stored videos are
read page by page and their minutes counted, and the endpoint passes the outbound guard."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from PIL import Image

from modgate.detection.frames import PreparedImage
from modgate.detection.remote.rekognition import RekognitionDetector
from modgate.detection.remote.usage import RemoteUsage
from modgate.errors import RemoteBackendUnavailableException, SettingsError
from modgate.outbound import OutboundGuard, OutboundPolicy

IMAGE = PreparedImage(Image.new("RGB", (200, 160), (10, 200, 30)))
LABELS = [
    {
        "Name": "Weapon Violence",
        "ParentName": "Graphic Violence",
        "TaxonomyLevel": 3,
        "Confidence": 91.5,
    },
    {"Name": "Graphic Violence", "ParentName": "Violence", "TaxonomyLevel": 2, "Confidence": 91.5},
    {"Name": "Violence", "ParentName": "", "TaxonomyLevel": 1, "Confidence": 91.5},
    {"Name": "Brand New Label", "ParentName": "", "TaxonomyLevel": 1, "Confidence": 80.0},
]


@pytest.fixture
def stubbed() -> Iterator[tuple[RekognitionDetector, Stubber, RemoteUsage]]:
    usage = RemoteUsage()
    detector = RekognitionDetector(
        {"retries": 2, "backoff_seconds": 0.001, "backoff_max_seconds": 0.002}, usage=usage
    )
    client = boto3.client(
        "rekognition",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )
    detector.use_client(client)
    with Stubber(client) as stubber:
        yield detector, stubber, usage
        stubber.assert_no_pending_responses()


def image_request() -> dict[str, Any]:
    return {"Image": {"Bytes": detector_jpeg()}, "MinConfidence": 1.0}


def detector_jpeg() -> bytes:
    return RekognitionDetector().jpeg(IMAGE)


def test_labels_map_one_to_one(stubbed: tuple[RekognitionDetector, Stubber, RemoteUsage]) -> None:
    detector, stubber, usage = stubbed
    stubber.add_response(
        "detect_moderation_labels",
        {
            "ModerationLabels": LABELS,
            "ModerationModelVersion": "7.0",
            "ContentTypes": [{"Name": "Animated", "Confidence": 77.0}],
        },
        image_request(),
    )
    output = detector.predict([IMAGE])[0]
    found = {item.label: item.probability for item in output.evidence}
    assert found == {"Weapon Violence": 0.915, "Graphic Violence": 0.915, "Violence": 0.915}
    assert [(c.label, c.probability) for c in output.content_types] == [("Animated", 0.77)]
    counts = usage.snapshot()
    assert counts.backend("rekognition", "calls") == 1
    assert counts.backend("rekognition", "images") == 1
    assert detector.model_tag == "rekognition-1/7.0"


def test_throttling_is_retried(stubbed: tuple[RekognitionDetector, Stubber, RemoteUsage]) -> None:
    detector, stubber, usage = stubbed
    stubber.add_client_error("detect_moderation_labels", "ThrottlingException", "Slow down", 400)
    stubber.add_client_error("detect_moderation_labels", "InternalServerError", "oops", 500)
    stubber.add_response(
        "detect_moderation_labels",
        {"ModerationLabels": LABELS[:1], "ModerationModelVersion": "7.0"},
    )
    output = detector.predict([IMAGE])[0]
    assert [item.label for item in output.evidence] == ["Weapon Violence"]
    assert usage.snapshot().backend("rekognition", "retries") == 2


def test_a_refused_image_is_not_retried(
    stubbed: tuple[RekognitionDetector, Stubber, RemoteUsage],
) -> None:
    detector, stubber, _ = stubbed
    stubber.add_client_error(
        "detect_moderation_labels", "InvalidImageFormatException", "bad image", 400
    )
    with pytest.raises(RemoteBackendUnavailableException, match="InvalidImageFormatException"):
        detector.predict([IMAGE])
    assert detector.caller.breaker.state == "closed"


def test_a_malformed_answer_is_refused(
    stubbed: tuple[RekognitionDetector, Stubber, RemoteUsage],
) -> None:
    detector, stubber, _ = stubbed
    for _ in range(3):
        stubber.add_response(
            "detect_moderation_labels",
            {"ModerationLabels": [{"Name": "Violence", "Confidence": 150.0}]},
        )
    with pytest.raises(RemoteBackendUnavailableException, match="malformed_answer"):
        detector.predict([IMAGE])


def test_a_stored_video_is_read_page_by_page_and_its_minutes_counted(
    stubbed: tuple[RekognitionDetector, Stubber, RemoteUsage],
) -> None:
    detector, stubber, usage = stubbed
    stubber.add_response(
        "start_content_moderation",
        {"JobId": "job-1"},
        {
            "Video": {"S3Object": {"Bucket": "media", "Name": "clips/a.mp4"}},
            "MinConfidence": 1.0,
            "ClientRequestToken": "token-1",
        },
    )
    metadata = {"DurationMillis": 90_000, "Format": "MP4", "Codec": "h264"}
    stubber.add_response(
        "get_content_moderation",
        {"JobStatus": "IN_PROGRESS", "VideoMetadata": metadata},
    )

    def at(ms: int, name: str, confidence: float) -> dict[str, Any]:
        return {"Timestamp": ms, "ModerationLabel": {"Name": name, "Confidence": confidence}}

    stubber.add_response(
        "get_content_moderation",
        {
            "JobStatus": "SUCCEEDED",
            "VideoMetadata": metadata,
            "ModerationModelVersion": "7.0",
            "ModerationLabels": [at(1000, "Smoking", 88.0), at(1000, "Drugs & Tobacco", 88.0)],
            "NextToken": "page-2",
        },
    )
    stubber.add_response(
        "get_content_moderation",
        {
            "JobStatus": "SUCCEEDED",
            "VideoMetadata": metadata,
            "ModerationLabels": [at(61_000, "Corpses", 70.0)],
        },
        {"JobId": "job-1", "SortBy": "TIMESTAMP", "MaxResults": 1000, "NextToken": "page-2"},
    )
    job = detector.start_stored_video("media", "clips/a.mp4", token="token-1")
    waits: list[float] = []
    beats: list[int] = []
    result = detector.stored_video_result(job, sleep=waits.append, progress=lambda: beats.append(1))
    assert waits == [detector.settings.video_poll_seconds]
    assert beats == [1]  # the waiting job renewed its lease after the poll that found it running
    assert result.duration_ms == 90_000
    assert [(ms, sorted(e.label for e in out.evidence)) for ms, out in result.samples] == [
        (1000, ["Drugs & Tobacco", "Smoking"]),
        (61_000, ["Corpses"]),
    ]
    assert usage.snapshot().backend("rekognition", "video_minutes") == 1.5


def test_the_endpoint_passes_the_outbound_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    local = RekognitionDetector({"endpoint_url": "http://127.0.0.1:9/"})
    with pytest.raises(SettingsError, match="MODGATE_OUTBOUND_ALLOW"):
        local.setup()
    allowed = RekognitionDetector(
        {"endpoint_url": "http://127.0.0.1:9/", "retries": 0, "timeout_seconds": 1},
        outbound=OutboundGuard(OutboundPolicy.parse("127.0.0.1/32")),
    )
    allowed.setup()
    with pytest.raises(RemoteBackendUnavailableException, match="connect_failed"):
        allowed.predict([IMAGE])  # nothing listens there: a connection failure, retried by jobs


def test_a_host_that_turns_internal_after_setup_is_refused_before_sending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    answers = ["93.184.216.34"]

    def resolver(host: str, port: int) -> list[tuple[Any, Any, Any, Any, tuple[Any, ...]]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[0], port))]

    detector = RekognitionDetector(
        {"endpoint_url": "https://rekognition.example", "retries": 0},
        outbound=OutboundGuard(OutboundPolicy(), resolver),
    )
    detector.setup()  # public at setup
    answers[0] = "169.254.169.254"  # DNS now answers with the metadata address
    with pytest.raises(RemoteBackendUnavailableException, match="OutboundAddressRefused"):
        detector.predict([IMAGE])


def test_a_retried_video_finds_the_job_it_started_before(
    stubbed: tuple[RekognitionDetector, Stubber, RemoteUsage],
) -> None:
    detector, stubber, _ = stubbed
    token = hashlib.sha256(b"media/clips/b.mp4").hexdigest()
    for _ in range(2):
        stubber.add_response(
            "start_content_moderation",
            {"JobId": "job-b"},
            {
                "Video": {"S3Object": {"Bucket": "media", "Name": "clips/b.mp4"}},
                "MinConfidence": 1.0,
                "ClientRequestToken": token,
            },
        )
        stubber.add_response(
            "get_content_moderation",
            {"JobStatus": "SUCCEEDED", "VideoMetadata": {"DurationMillis": 1000}},
        )
    first = detector.moderate_stored_video("media", "clips/b.mp4")
    again = detector.moderate_stored_video("media", "clips/b.mp4")
    assert first.job_id == again.job_id == "job-b"
