"""The unmodified boto3 Rekognition client against a modgate server started here: every
operation and error path over real HTTP, SigV4-signed with credentials from ``keys create
--aws``, video and S3 images read from a real S3 endpoint (moto's server) on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import httpx
import pytest
from botocore.config import Config
from PIL import Image

from corpus import video_bytes
from modgate.app import create_app
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import RED, Receiver, marker_png, plain_png, wait_for
from servers import LiveServer, run_modgate

PREFIX = "modgate/"


@dataclass
class Setup:
    url: str
    services: Services
    bucket: str
    s3: Any
    credentials: dict[str, dict[str, str]]  # name → access_key_id, secret_access_key

    def client(self, name: str = "all", **overrides: Any) -> Any:
        found = self.credentials[name]
        arguments = {
            "endpoint_url": self.url,
            "region_name": "eu-west-1",
            "aws_access_key_id": found["access_key_id"],
            "aws_secret_access_key": found["secret_access_key"],
            "config": Config(retries={"max_attempts": 1}),
        } | overrides
        return boto3.client("rekognition", **arguments)

    def put(self, name: str, data: bytes) -> dict[str, str]:
        self.s3.put_object(Bucket=self.bucket, Key=name, Body=data)
        return {"Bucket": self.bucket, "Name": name}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("rekognition")
    bucket = f"modgate-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    settings = load_settings(
        data_dir=folder / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.1},
        blob_store="s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_endpoint,
        s3_prefix=PREFIX,
        outbound_allow="127.0.0.1/32",
    )
    services = Services.build(settings)
    credentials = {}
    for name, scopes, tenant in (
        ("all", ["moderations:write", "moderations:read"], "acme"),
        ("reader", ["moderations:read"], "acme"),
        ("other", ["moderations:write", "moderations:read"], "globex"),
    ):
        made, _ = services.auth.create_aws_key(name, scopes, tenant, actor="cli:tests@localhost")
        credentials[name] = {
            "access_key_id": made.access_key_id,
            "secret_access_key": made.secret_access_key,
        }
    with LiveServer(create_app(settings, services)) as live:
        yield Setup(live.url, services, bucket, s3, credentials)
    services.close()


def _error(call: Any) -> tuple[str, int]:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    error = raised.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


def _jpeg(size: int = 160, colour: tuple[int, int, int] = RED) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="JPEG", quality=95)
    return out.getvalue()


def test_detect_moderation_labels_answers_as_rekognition(setup: Setup) -> None:
    client = setup.client()
    flagged = client.detect_moderation_labels(Image={"Bytes": marker_png(1)})
    names = {label["Name"] for label in flagged["ModerationLabels"]}
    assert "Explicit" in names
    assert all(label["Confidence"] >= 50 for label in flagged["ModerationLabels"])
    assert flagged["ModerationModelVersion"]
    assert "HumanLoopActivationOutput" not in flagged
    assert flagged["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    clean = client.detect_moderation_labels(Image={"Bytes": plain_png(2)}, MinConfidence=90)
    assert clean["ModerationLabels"] == []
    # The call is a moderation like any other: the key's tenant sees it in /v1.
    listed = setup.services.pipeline.moderations.list({}, 10, None, None, None, "acme")[0]
    assert len(listed) >= 2 and all(item["status"] == "completed" for item in listed)


def test_detect_moderation_labels_reads_s3_objects_of_its_bucket(setup: Setup) -> None:
    client = setup.client()
    found = setup.put(f"{PREFIX}incoming/acme/photo.jpg", _jpeg())
    labels = client.detect_moderation_labels(Image={"S3Object": found})["ModerationLabels"]
    assert "Explicit" in {label["Name"] for label in labels}
    # Another tenant's prefix, another bucket, a missing object: InvalidS3ObjectException.
    other = setup.put(f"{PREFIX}incoming/globex/photo.jpg", _jpeg())
    for s3_object in (
        other,
        {"Bucket": "someone-elses", "Name": f"{PREFIX}incoming/acme/photo.jpg"},
        {"Bucket": setup.bucket, "Name": f"{PREFIX}incoming/acme/missing.jpg"},
    ):
        code, status = _error(
            lambda s=s3_object: client.detect_moderation_labels(Image={"S3Object": s})
        )
        assert (code, status) == ("InvalidS3ObjectException", 400), s3_object


def test_human_loop_config_starts_a_review_when_the_policy_asks(setup: Setup) -> None:
    client = setup.client()
    loop = {"HumanLoopName": "loop-1", "FlowDefinitionArn": "arn:aws:sagemaker:eu-west-1:1:flow/x"}
    quiet = client.detect_moderation_labels(Image={"Bytes": plain_png(3)}, HumanLoopConfig=loop)
    output = quiet["HumanLoopActivationOutput"]
    assert (
        "HumanLoopArn" not in output
        and "allow" in output["HumanLoopActivationConditionsEvaluationResults"]
    )


def test_human_loop_arn_when_the_policy_sends_the_item_to_review(tmp_path: Path) -> None:
    # Weapons at 97: the seed policy queues it for review.
    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"], "options": {"marker": {"label": "Weapons"}}},
        pipeline={"workers": 1, "poll_seconds": 0.1},
    )
    services = Services.build(settings)
    try:
        made, _ = services.auth.create_aws_key(
            "app", ["moderations:write"], "acme", actor="cli:tests@localhost"
        )
        with LiveServer(create_app(settings, services)) as live:
            client = boto3.client(
                "rekognition",
                endpoint_url=live.url,
                region_name="ap-south-1",
                aws_access_key_id=made.access_key_id,
                aws_secret_access_key=made.secret_access_key,
            )
            loop = {"HumanLoopName": "post-9", "FlowDefinitionArn": "arn:aws:sagemaker:x:1:f/y"}
            answer = client.detect_moderation_labels(
                Image={"Bytes": marker_png(7)}, HumanLoopConfig=loop
            )
            plain = client.detect_moderation_labels(Image={"Bytes": marker_png(8)})
        output = answer["HumanLoopActivationOutput"]
        assert output["HumanLoopArn"].endswith(":human-loop/post-9")
        assert ":ap-south-1:" in output["HumanLoopArn"]
        assert output["HumanLoopActivationReasons"] == ["ConditionsEvaluation"]
        assert json.loads(output["HumanLoopActivationConditionsEvaluationResults"])["action"] == (
            "review"
        )
        assert "HumanLoopActivationOutput" not in plain
        queued = services.review.queue_stats()
        assert sum(stats.depth for stats in queued) == 2  # both wait for a reviewer
    finally:
        services.close()


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"Image": {"Bytes": b"GIF89a" + bytes(64)}}, "InvalidImageFormatException"),
        ({"Image": {"Bytes": b"not an image at all"}}, "InvalidImageFormatException"),
        ({"Image": {"Bytes": bytes(5 * 1024 * 1024 + 1)}}, "ImageTooLargeException"),
        ({"Image": {"Bytes": b"\x89PNG"}, "MinConfidence": 101}, "InvalidParameterException"),
        (
            {"Image": {"Bytes": b"\x89PNG"}, "ProjectVersion": "arn:aws:rekognition:x"},
            "ResourceNotFoundException",
        ),
    ],
)
def test_bad_images_get_rekognitions_errors(setup: Setup, arguments: dict, code: str) -> None:
    client = setup.client(config=Config(retries={"max_attempts": 1}, parameter_validation=False))
    assert _error(lambda: client.detect_moderation_labels(**arguments)) == (code, 400)


def test_video_jobs_start_and_page_as_rekognitions(setup: Setup) -> None:
    client = setup.client()
    video = setup.put(f"{PREFIX}incoming/acme/clip.mp4", video_bytes(colour_at=(0.5, 1.5, RED)))
    job = client.start_content_moderation(
        Video={"S3Object": video}, ClientRequestToken="tok-1", JobTag="post-77"
    )["JobId"]
    again = client.start_content_moderation(
        Video={"S3Object": video}, ClientRequestToken="tok-1", JobTag="post-77"
    )
    assert again["JobId"] == job  # same token, same job
    deadline = time.monotonic() + 60
    while (answer := client.get_content_moderation(JobId=job))["JobStatus"] == "IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert answer["JobStatus"] == "SUCCEEDED", answer
    assert answer["JobTag"] == "post-77" and answer["VideoMetadata"]["DurationMillis"] > 0
    labels = answer["ModerationLabels"]
    assert labels and {entry["ModerationLabel"]["Name"] for entry in labels} >= {"Explicit"}
    pages, token = [], None
    while True:
        arguments = {"JobId": job, "MaxResults": 1} | ({"NextToken": token} if token else {})
        page = client.get_content_moderation(**arguments)
        pages += page["ModerationLabels"]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == labels
    segments = client.get_content_moderation(JobId=job, AggregateBy="SEGMENTS")
    assert all("DurationMillis" in entry for entry in segments["ModerationLabels"])
    assert _error(lambda: client.get_content_moderation(JobId=job, NextToken="garbage")) == (
        "InvalidPaginationTokenException",
        400,
    )
    assert _error(lambda: client.get_content_moderation(JobId="mod_unknown")) == (
        "ResourceNotFoundException",
        400,
    )
    # Another tenant's job does not exist for it; a different request with the token is refused.
    assert _error(lambda: setup.client("other").get_content_moderation(JobId=job))[0] == (
        "ResourceNotFoundException"
    )
    assert _error(
        lambda: client.start_content_moderation(
            Video={"S3Object": video}, ClientRequestToken="tok-1", JobTag="another"
        )
    ) == ("IdempotentParameterMismatchException", 400)


def test_a_job_on_an_object_that_is_no_readable_video_is_refused(setup: Setup) -> None:
    """An image, an empty object or a cut-short video: InvalidParameterException, an error
    StartContentModeration has, and no moderation is made."""
    client = setup.client("other")
    whole = video_bytes()
    for name, data in (
        ("photo.jpg", _jpeg()),
        ("empty.mp4", b""),
        ("cut.mp4", whole[: len(whole) // 2]),
    ):
        video = setup.put(f"{PREFIX}incoming/globex/{name}", data)
        code, status = _error(
            lambda v=video: client.start_content_moderation(Video={"S3Object": v})
        )
        assert (code, status) == ("InvalidParameterException", 400), name
    listed = setup.services.pipeline.moderations.list({}, 10, None, None, None, "globex")[0]
    assert listed == []


def test_signatures_are_checked(setup: Setup) -> None:
    found = setup.credentials["all"]
    wrong = setup.client(aws_secret_access_key=found["secret_access_key"][:-2] + "xx")
    image = {"Bytes": plain_png(4)}
    assert _error(lambda: wrong.detect_moderation_labels(Image=image)) == (
        "InvalidSignatureException",
        400,
    )
    unknown = setup.client(aws_access_key_id="MGAK0000000000000000")
    assert _error(lambda: unknown.detect_moderation_labels(Image=image)) == (
        "UnrecognizedClientException",
        400,
    )
    reader = setup.client("reader")
    assert _error(lambda: reader.detect_moderation_labels(Image=image)) == (
        "AccessDeniedException",
        400,
    )
    unsigned = httpx.post(
        setup.url + "/",
        headers={
            "X-Amz-Target": "RekognitionService.DetectModerationLabels",
            "Content-Type": "application/x-amz-json-1.1",
        },
        content=b"{}",
    )
    assert unsigned.status_code == 400
    assert unsigned.json()["__type"] == "MissingAuthenticationTokenException"
    assert unsigned.headers["x-amzn-RequestId"]
    unknown_target = httpx.post(
        setup.url + "/",
        headers={"X-Amz-Target": "RekognitionService.DetectFaces"},
        content=b"{}",
    )
    assert unknown_target.json()["__type"] == "UnknownOperationException"


def test_an_expired_signature_is_refused(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.auth

    client = setup.client()
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: past.replace(tzinfo=None))
    code, status = _error(lambda: client.detect_moderation_labels(Image={"Bytes": plain_png(5)}))
    assert (code, status) == ("InvalidSignatureException", 400)


def test_keys_create_aws_prints_credentials_once(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, MODGATE_DATA_DIR=str(tmp_path))
    assert run_modgate(["db", "upgrade"], env).returncode == 0
    made = run_modgate(
        ["keys", "create", "app", "--aws", "--scope", "moderations:write", "--tenant", "acme"],
        env,
    )
    assert made.returncode == 0, made.stderr
    shown = json.loads(made.stdout)
    assert shown["access_key_id"].startswith("MGAK") and len(shown["access_key_id"]) == 20
    assert len(shown["secret_access_key"]) == 40 and shown["tenant"] == "acme"
    assert "key" not in shown
    assert shown["secret_access_key"] not in (tmp_path / "modgate.db").read_bytes().decode(
        "latin-1"
    )
    assert (tmp_path / "secrets.key").stat().st_mode & 0o077 == 0


def test_a_notification_channel_gets_rekognitions_message(setup: Setup) -> None:
    client = setup.client()
    video = setup.put(f"{PREFIX}incoming/acme/told.mp4", video_bytes(colour_at=(0.2, 0.8, RED)))
    channel = {
        "SNSTopicArn": "arn:aws:sns:eu-west-1:123456789012:AmazonRekognitionJobs",
        "RoleArn": "arn:aws:iam::123456789012:role/Rekognition",
    }
    with Receiver() as receiver:
        setup.services.webhooks.register(
            receiver.url,
            ["rekognition.job.completed"],
            "jobs",
            None,
            "acme",
            actor="cli:tests@localhost",
        )
        job = client.start_content_moderation(
            Video={"S3Object": video}, NotificationChannel=channel, JobTag="told-1"
        )["JobId"]
        # A job without a channel tells no one.
        client.start_content_moderation(Video={"S3Object": video}, ClientRequestToken="quiet")
        wait_for(lambda: receiver.requests, timeout=60)
        time.sleep(1.0)
    assert len(receiver.requests) == 1
    message = json.loads(receiver.requests[0]["body"])["data"]
    assert message["JobId"] == job and message["Status"] == "SUCCEEDED"
    assert message["API"] == "StartContentModeration" and message["JobTag"] == "told-1"
    assert message["TopicArn"] == channel["SNSTopicArn"]
    assert message["Video"] == {"S3ObjectName": video["Name"], "S3Bucket": video["Bucket"]}
