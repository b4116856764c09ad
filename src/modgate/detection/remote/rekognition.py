"""``rekognition``: Amazon Rekognition Content Moderation as a remote detector.

Images and video frames go to ``DetectModerationLabels`` as JPEG bytes; videos already in S3 go
to ``StartContentModeration`` / ``GetContentModeration`` (``moderate_stored_video``). Rekognition
speaks taxonomy v7, so its labels map 1:1 onto modgate's (confidence 0–100 → probability 0–1);
a label modgate does not know (a newer AWS taxonomy) is logged and left out.

boto3's own retries are switched off: the shared discipline retries, with jitter, and keeps the
circuit breaker's count honest. The endpoint (``endpoint_url``, or AWS's for ``region``) is
checked by the outbound guard at setup, and every request's host again before it is sent.
Credentials are the options' (a key, or a profile of the shared AWS files), else boto3's usual
chain (environment, shared files, instance role).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from modgate.detection.base import DetectorOutput, Evidence
from modgate.detection.frames import PreparedImage
from modgate.detection.remote.base import RemoteDetector, StoredVideoResult
from modgate.detection.remote.discipline import RemoteCallError, RemoteOptions
from modgate.detection.remote.usage import RemoteUsage
from modgate.errors import ModgateError, SettingsError
from modgate.outbound import OutboundGuard
from modgate.outbound.guard import DEFAULT_PORTS
from modgate.taxonomy import CONTENT_TYPES, taxonomy_v7

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Errors that say nothing about the backend's health: the request itself was refused.
_REQUEST_ERRORS = {
    "InvalidImageFormatException",
    "ImageTooLargeException",
    "InvalidParameterException",
    "InvalidS3ObjectException",
    "VideoTooLargeException",
    "IdempotentParameterMismatchException",
    "InvalidPaginationTokenException",
    "ResourceNotFoundException",
}
_RETRYABLE = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "LimitExceededException",
    "RequestTimeout",
}


class RekognitionOptions(RemoteOptions):
    region: str = "us-east-1"
    endpoint_url: str = ""
    aws_profile: str = Field(default="", description="A profile of the shared AWS files.")
    aws_access_key_id: str = ""
    aws_secret_access_key: SecretStr = SecretStr("")
    min_confidence: float = Field(default=1.0, ge=0, le=100)
    model_version: str = Field(
        default="7.0", description="The ModerationModelVersion Rekognition is expected to answer."
    )
    stored_videos: bool = Field(
        default=False,
        description="Videos in modgate's S3 bucket go to StartContentModeration whole (the "
        "bucket must be AWS S3 in the same region, readable with these credentials).",
    )
    video_poll_seconds: float = Field(default=5.0, gt=0, le=300)
    video_max_wait_seconds: float = Field(default=3600.0, gt=0, le=6 * 3600)

    @model_validator(mode="after")
    def _whole_key(self) -> RekognitionOptions:
        if bool(self.aws_access_key_id) != bool(self.aws_secret_access_key.get_secret_value()):
            raise ValueError("give both aws_access_key_id and aws_secret_access_key, or neither")
        return self


class _Label(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Name: str = Field(min_length=1)
    Confidence: float = Field(ge=0, le=100)
    ParentName: str = ""


class _ContentType(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Name: str
    Confidence: float = Field(ge=0, le=100)


class _ImageAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    ModerationLabels: list[_Label]
    ModerationModelVersion: str = ""
    ContentTypes: list[_ContentType] = []


class _VideoMetadata(BaseModel):
    model_config = ConfigDict(extra="ignore")
    DurationMillis: int = Field(default=0, ge=0)


class _VideoDetection(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Timestamp: int = Field(ge=0)
    ModerationLabel: _Label
    ContentTypes: list[_ContentType] = []


class _VideoAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    JobStatus: str
    StatusMessage: str = ""
    VideoMetadata: _VideoMetadata = _VideoMetadata()
    ModerationLabels: list[_VideoDetection] = []
    NextToken: str | None = None
    ModerationModelVersion: str = ""


class RekognitionDetector(RemoteDetector):
    """Amazon Rekognition ``DetectModerationLabels`` (images, frames) and
    ``StartContentModeration`` (videos in S3)."""

    name = "rekognition"
    version = "1"
    labels = tuple(taxonomy_v7().names)
    content_types = CONTENT_TYPES
    requires = ("boto3",)
    extra = "s3"
    Options: ClassVar[type[RemoteOptions]] = RekognitionOptions

    client: Any = None

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        threads: int = 1,
        *,
        outbound: OutboundGuard | None = None,
        usage: RemoteUsage | None = None,
    ) -> None:
        super().__init__(options, threads, outbound=outbound, usage=usage)
        self._versions_seen: set[str] = set()

    @property
    def settings(self) -> RekognitionOptions:
        options = self.options
        assert isinstance(options, RekognitionOptions)
        return options

    @property
    def model_tag(self) -> str:
        return f"{self.name}-{self.version}/{self.settings.model_version}"

    @property
    def reads_stored_videos(self) -> bool:
        return self.settings.stored_videos

    @property
    def endpoint(self) -> str:
        return (
            self.settings.endpoint_url
            or f"https://rekognition.{self.settings.region}.amazonaws.com"
        )

    def setup(self) -> None:
        import boto3
        from botocore.config import Config

        try:
            self.outbound.check_url(self.endpoint)
        except ModgateError as exc:
            raise SettingsError(
                f"detector 'rekognition': endpoint {self.endpoint} is refused: {exc.message} "
                "List its host in MODGATE_OUTBOUND_ALLOW if it is meant to be reached."
            ) from exc
        timeout = self.settings.timeout_seconds
        config = Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
            max_pool_connections=self.settings.concurrency,
        )
        arguments: dict[str, Any] = {"region_name": self.settings.region, "config": config}
        if self.settings.endpoint_url:
            arguments["endpoint_url"] = self.settings.endpoint_url
        if self.settings.aws_access_key_id:
            arguments["aws_access_key_id"] = self.settings.aws_access_key_id
            secret = self.settings.aws_secret_access_key.get_secret_value()
            arguments["aws_secret_access_key"] = secret
        session = boto3.Session(profile_name=self.settings.aws_profile or None)
        self.use_client(session.client("rekognition", **arguments))

    def use_client(self, client: Any) -> None:
        """Use ``client`` (a boto3 Rekognition client; tests pass one with a ``Stubber``)."""
        client.meta.events.register("before-send.rekognition", self._check_host)
        self.client = client

    def _check_host(self, request: Any, **_: Any) -> None:
        """Every request's host, checked again just before it is sent (DNS may have changed)."""
        parts = urlsplit(request.url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
        self.outbound.checked_addresses(parts.hostname or "", port)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    # ---- images -----------------------------------------------------------------------
    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        return [self._detect_one(image) for image in images]

    def _detect_one(self, image: PreparedImage) -> DetectorOutput:
        body = self.jpeg(image)

        def request() -> _ImageAnswer:
            answer = self._send(
                lambda: self.client.detect_moderation_labels(
                    Image={"Bytes": body}, MinConfidence=self.settings.min_confidence
                )
            )
            return _parse(_ImageAnswer, answer)

        answer = self.caller.call(request, images=1)
        self._check_version(answer.ModerationModelVersion)
        return DetectorOutput(
            evidence=self._evidence(answer.ModerationLabels),
            content_types=self._content_types(answer.ContentTypes),
            raw={"ModerationModelVersion": answer.ModerationModelVersion},
        )

    # ---- stored videos -----------------------------------------------------------------
    def start_stored_video(self, bucket: str, key: str, token: str | None = None) -> str:
        """Start ``StartContentModeration`` on ``s3://bucket/key``; its ``JobId``."""
        arguments = {
            "Video": {"S3Object": {"Bucket": bucket, "Name": key}},
            "MinConfidence": self.settings.min_confidence,
            "ClientRequestToken": token or uuid.uuid4().hex,
        }

        def request() -> str:
            answer = self._send(lambda: self.client.start_content_moderation(**arguments))
            job_id = answer.get("JobId") if isinstance(answer, dict) else None
            if not isinstance(job_id, str) or not job_id:
                raise RemoteCallError("malformed_answer")
            return job_id

        return self.caller.call(request)

    def stored_video_result(
        self,
        job_id: str,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[], None] | None = None,
    ) -> StoredVideoResult:
        """Wait for job ``job_id`` (polling ``GetContentModeration``) and read every page.
        ``progress`` is called after each poll (a long job keeps its lease with it)."""
        waited = 0.0
        while True:
            if progress is not None and waited:
                progress()
            first = self._video_page(job_id, None)
            if first.JobStatus == "SUCCEEDED":
                break
            if first.JobStatus == "FAILED":
                raise self.caller.unavailable(f"video job {job_id} failed: {first.StatusMessage}")
            if waited >= self.settings.video_max_wait_seconds:
                raise self.caller.unavailable(f"video job {job_id} still runs after {waited:g} s")
            sleep(self.settings.video_poll_seconds)
            waited += self.settings.video_poll_seconds
        detections = list(first.ModerationLabels)
        page = first
        while page.NextToken:
            page = self._video_page(job_id, page.NextToken)
            detections.extend(page.ModerationLabels)
        duration = first.VideoMetadata.DurationMillis
        self.caller.usage.add(self.name, "video_minutes", duration / 60_000)
        by_time: dict[int, DetectorOutput] = {}
        for item in detections:
            output = by_time.setdefault(item.Timestamp, DetectorOutput())
            output.evidence.extend(self._evidence([item.ModerationLabel]))
            output.content_types.extend(self._content_types(item.ContentTypes))
        self._check_version(first.ModerationModelVersion)
        return StoredVideoResult(
            job_id, duration, tuple(sorted(by_time.items())), first.ModerationModelVersion
        )

    def moderate_stored_video(
        self, bucket: str, key: str, progress: Callable[[], None] | None = None
    ) -> StoredVideoResult:
        """Start a job on ``s3://bucket/key`` and wait for its result. The request token is
        made from the object's name: a retried moderation finds the job it started before
        instead of paying for another."""
        token = hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()
        job_id = self.start_stored_video(bucket, key, token=token)
        return self.stored_video_result(job_id, progress=progress)

    def _video_page(self, job_id: str, token: str | None) -> _VideoAnswer:
        arguments: dict[str, Any] = {"JobId": job_id, "SortBy": "TIMESTAMP", "MaxResults": 1000}
        if token:
            arguments["NextToken"] = token

        def request() -> _VideoAnswer:
            answer = self._send(lambda: self.client.get_content_moderation(**arguments))
            return _parse(_VideoAnswer, answer)

        return self.caller.call(request)

    # ---- the one place boto3's failures are translated ---------------------------------
    def _send(self, call: Callable[[], T]) -> T:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        try:
            return call()
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in _REQUEST_ERRORS:
                raise RemoteCallError(code, retryable=False, unhealthy=False) from exc
            retryable = code in _RETRYABLE or status >= 500 or status == 429
            raise RemoteCallError(code or f"http_{status}", retryable=retryable) from exc
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise RemoteCallError("timeout") from exc
        except EndpointConnectionError as exc:
            raise RemoteCallError("connect_failed") from exc
        except BotoCoreError as exc:
            raise RemoteCallError(f"request_failed: {type(exc).__name__}") from exc
        except ModgateError as exc:  # the outbound guard refused the host
            raise RemoteCallError(exc.code, retryable=False) from exc

    # ---- mapping ----------------------------------------------------------------------
    def _evidence(self, labels: Sequence[_Label]) -> list[Evidence]:
        tree = taxonomy_v7()
        found = []
        for label in labels:
            if label.Name not in tree:
                logger.warning("rekognition answered a label outside taxonomy v7: %r", label.Name)
                continue
            name = tree.canonical(label.Name)
            found.append(Evidence(name, label.Confidence / 100, self.name, label.Name))
        return found

    def _content_types(self, types: Sequence[_ContentType]) -> list[Evidence]:
        return [
            Evidence(item.Name, item.Confidence / 100, self.name, item.Name)
            for item in types
            if item.Name in CONTENT_TYPES
        ]

    def _check_version(self, answered: str) -> None:
        expected = self.settings.model_version
        if answered and answered != expected and answered not in self._versions_seen:
            self._versions_seen.add(answered)  # said once per version, not on every call
            logger.warning(
                "rekognition answered with model version %s, configured %s: set "
                "options.rekognition.model_version so stored detections name the right model",
                answered,
                expected,
            )


Parsed = TypeVar("Parsed", bound=BaseModel)


def _parse(model: type[Parsed], answer: Any) -> Parsed:
    try:
        return model.model_validate(answer)
    except ValidationError as exc:
        raise RemoteCallError("malformed_answer") from exc
