"""The three Rekognition moderation operations over modgate's pipeline: request checking as
Rekognition's service model and limits say, then the same moderation a ``/v1`` call makes."""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image

from modgate import audit
from modgate.auth.models import ApiKey
from modgate.detection.custom.head import LinearHead
from modgate.detection.custom.store import CustomLabel
from modgate.errors import (
    ImageTooLargeException,
    InvalidImageFormatException,
    InvalidParameterException,
    InvalidS3ObjectException,
    ModgateError,
    ResourceNotFoundException,
)
from modgate.media.blobstore import incoming_key
from modgate.media.sniff import HEADER_BYTES, sniff
from modgate.moderation.models import ModerationRecord
from modgate.services import Services
from modgate.taxonomy import taxonomy_v7
from modgate.taxonomy.detections import ContentType, Timeline
from modgate.taxonomy.rekognition_json import (
    JOB_METADATA_KEY,
    content_type_to_json,
    label_to_json,
    moderation_detections,
)

MAX_BYTES = 5 * 1024 * 1024  # Image.Bytes, decoded (botocore's ImageBlob max)
MAX_S3_IMAGE_BYTES = 15 * 1024 * 1024
IMAGE_FORMATS = frozenset({"JPEG", "PNG"})
# Pixels on a side, as Rekognition documents them (limits.html), whatever modgate's own are.
MIN_IMAGE_SIDE = 80
MAX_IMAGE_SIDE = 10_000
_HUMAN_LOOP_NAME = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
_TOKEN = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
_JOB_TAG = re.compile(r"^[a-zA-Z0-9_.\-:+=/]{1,1024}$")
_SORT_BY = ("TIMESTAMP", "NAME")
_AGGREGATE_BY = ("TIMESTAMPS", "SEGMENTS")


class InvalidPaginationTokenException(InvalidParameterException):
    """Invalid pagination token."""

    aws_code = "InvalidPaginationTokenException"


@dataclass(frozen=True, slots=True)
class Caller:
    key: ApiKey
    region: str


def _object(body: dict[str, Any], name: str, required: bool = False) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidParameterException(f"{name} is required.")
        return None
    if not isinstance(value, dict):
        raise InvalidParameterException(f"{name} must be an object.")
    return value


def _string(
    body: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None, limit: int = 1024
) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise InvalidParameterException(f"{name} must be a string of 1-{limit} characters.")
    if pattern is not None and not pattern.match(value):
        raise InvalidParameterException(f"{name} has characters it may not have.")
    return value


def _min_confidence(body: dict[str, Any], default: float = 50.0) -> float:
    value = body.get("MinConfidence", default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameterException("MinConfidence must be a number from 0 to 100.")
    if not 0 <= value <= 100:
        raise InvalidParameterException("MinConfidence must be from 0 to 100.")
    return float(value)


def _blob_key(services: Services, s3_object: dict[str, Any]) -> str:
    """The blob key an ``S3Object`` names: an object of modgate's own bucket, under its key
    prefix (the tenant rule of ``blob_key`` applies when it is submitted)."""
    bucket = _string(s3_object, "Bucket", limit=255)
    name = _string(s3_object, "Name")
    if bucket is None or name is None:
        raise InvalidParameterException("S3Object needs Bucket and Name.")
    if s3_object.get("Version") is not None:
        raise InvalidParameterException("S3Object.Version is not supported; leave it out.")
    settings = services.settings
    if settings.blob_store != "s3":
        raise InvalidS3ObjectException(
            "This modgate keeps media in a local folder, not S3: send Image.Bytes, or run it "
            "with MODGATE_BLOB_STORE=s3."
        )
    prefix = settings.s3_prefix
    if bucket != settings.s3_bucket or not name.startswith(prefix):
        raise InvalidS3ObjectException(
            f"modgate reads S3 objects from its bucket {settings.s3_bucket!r}, under "
            f"{prefix}incoming/<tenant>/."
        )
    return name[len(prefix) :]


def _check_image(data: bytes, limit: int) -> None:
    if not data:
        raise InvalidParameterException("The image is empty.")
    if len(data) > limit:
        raise ImageTooLargeException(
            f"The image is {len(data)} bytes; the most this operation takes is {limit}."
        )
    try:
        found = sniff(data[:8192])
    except ModgateError as exc:
        raise InvalidImageFormatException(
            "The provided image format is not supported (JPEG or PNG)."
        ) from exc
    if found.kind != "image" or found.format not in IMAGE_FORMATS:
        raise InvalidImageFormatException(
            f"The provided image format is not supported: {found.format} (JPEG or PNG)."
        )
    _check_sides(data)


def _check_sides(data: bytes) -> None:
    """Rekognition refuses an image under 80 or over 10 000 pixels on a side. Only the header
    is read; a picture whose header cannot be read is left to intake, which answers why."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return
    if max(width, height) > MAX_IMAGE_SIDE:
        raise ImageTooLargeException(
            f"The image is {width} × {height}; each side must be at most {MAX_IMAGE_SIDE} pixels."
        )
    if min(width, height) < MIN_IMAGE_SIDE:
        raise InvalidParameterException(
            f"The image is {width} × {height}; each side must be at least {MIN_IMAGE_SIDE} pixels."
        )


def _image(services: Services, image: dict[str, Any], tenant: str) -> bytes:
    """The image's bytes, from the request or from S3 (under the tenant's incoming prefix)."""
    has_bytes, s3_object = "Bytes" in image, _object(image, "S3Object")
    if has_bytes == (s3_object is not None):
        raise InvalidParameterException("Image needs exactly one of Bytes and S3Object.")
    if s3_object is not None:
        key = incoming_key(_blob_key(services, s3_object), tenant)
        try:
            data = services.blobs.get_bytes(key)
        except ModgateError as exc:
            raise InvalidS3ObjectException("Unable to get object metadata from S3.") from exc
        _check_image(data, MAX_S3_IMAGE_BYTES)
        return data
    encoded = image["Bytes"]
    if not isinstance(encoded, str):
        raise InvalidParameterException("Image.Bytes must be base64 text.")
    if len(encoded) > (MAX_BYTES + 2) // 3 * 4 + 4:
        raise ImageTooLargeException(f"Image.Bytes holds more than {MAX_BYTES} bytes.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidParameterException("Image.Bytes is not valid base64.") from exc
    _check_image(data, MAX_BYTES)
    return data


def _human_loop(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if config is None:
        return None
    name = _string(config, "HumanLoopName", _HUMAN_LOOP_NAME, limit=63)
    flow = _string(config, "FlowDefinitionArn", limit=256)
    if name is None or flow is None:
        raise InvalidParameterException(
            "HumanLoopConfig needs HumanLoopName and FlowDefinitionArn."
        )
    return {"HumanLoopName": name, "FlowDefinitionArn": flow}


def _labels(entries: list[dict[str, Any]] | None, minimum: float) -> list[dict[str, Any]]:
    return [dict(entry) for entry in entries or () if entry["Confidence"] >= minimum]


def _picture_labels(
    stored: ModerationRecord,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The stored labels and content types as one picture's. An animated PNG is a PNG to
    Rekognition but modgate moderates it frame by frame: each label (and content type) once,
    at its highest confidence in any frame."""
    found = moderation_detections("image", stored.labels, stored.content_types)
    if not isinstance(found, Timeline):
        return stored.labels or [], stored.content_types or []
    peaks: dict[str, ContentType] = {}
    for entry in found.entries:
        for content_type in entry.content_types:
            held = peaks.get(content_type.name)
            if held is None or content_type.confidence > held.confidence:
                peaks[content_type.name] = content_type
    return (
        [label_to_json(label) for label in found.peak_labels()],
        [content_type_to_json(content_type) for content_type in peaks.values()],
    )


def detect_moderation_labels(
    services: Services, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    image = _object(body, "Image", required=True)
    assert image is not None
    minimum = _min_confidence(body)
    loop = _human_loop(_object(body, "HumanLoopConfig"))
    project_version = _string(body, "ProjectVersion", limit=2048)
    adapter = (
        _adapter(services, caller.key.tenant, project_version)
        if project_version is not None
        else None
    )
    data = _image(services, image, caller.key.tenant)
    moderation, _created = services.pipeline.moderations.submit(
        stream=io.BytesIO(data),
        wait=True,
        client=caller.key.name,
        actor=audit.key_actor(caller.key.id),
        tenant=caller.key.tenant,
        metadata={JOB_METADATA_KEY: {"Operation": "DetectModerationLabels"}},
    )
    stored = services.pipeline.moderations.stored(moderation["id"], caller.key.tenant)
    if stored.status != "completed":
        raise ModgateError("The image could not be moderated in time; try again.")
    labels, content_types = _picture_labels(stored)
    answer: dict[str, Any] = {
        "ModerationLabels": _labels(labels, minimum),
        "ModerationModelVersion": stored.model_version or "",
        "ContentTypes": _labels(content_types, minimum),
    }
    if adapter is not None:
        custom = _custom_label(services, adapter, data)
        answer["ProjectVersion"] = project_version
        labels = [entry for entry in answer["ModerationLabels"] if entry["Name"] != custom["Name"]]
        answer["ModerationLabels"] = labels + _labels([custom], minimum)
    if loop is not None:
        answer["HumanLoopActivationOutput"] = _activation(moderation, loop, caller)
    return answer


def _adapter(
    services: Services, tenant: str, project_version: str
) -> tuple[CustomLabel, LinearHead]:
    """The custom-label version ``ProjectVersion`` names (a Rekognition adapter's stand-in)."""
    try:
        return services.labels.adapter(tenant, project_version)
    except ResourceNotFoundException as exc:
        raise ResourceNotFoundException(
            f"No custom moderation adapter {project_version[:200]!r}."
        ) from exc


def _custom_label(
    services: Services, adapter: tuple[CustomLabel, LinearHead], data: bytes
) -> dict[str, Any]:
    """The adapter's label, scored on the image by that very version (live or not): how a
    Rekognition adapter's answer reads."""
    label, head = adapter
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return {
        "Name": label.name,
        "Confidence": round(services.labels.score(head, picture), 3),
        "ParentName": label.parent or "",
        "TaxonomyLevel": taxonomy_v7().get(label.name).level,
    }


def _activation(moderation: dict[str, Any], loop: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """A2I's answer: a human loop (modgate's review) was started when the policy sent the item
    to review; the evaluation results are the policy's reasons."""
    decision = moderation.get("decision") or {}
    results = json.dumps(
        {
            "rule": decision.get("rule"),
            "action": decision.get("action"),
            "reasons": decision.get("reasons", []),
        },
        separators=(",", ":"),
    )[:10240]
    output: dict[str, Any] = {"HumanLoopActivationConditionsEvaluationResults": results}
    if moderation.get("review") is not None:
        output["HumanLoopArn"] = (
            f"arn:aws:sagemaker:{caller.region}:000000000000:human-loop/{loop['HumanLoopName']}"
        )
        output["HumanLoopActivationReasons"] = ["ConditionsEvaluation"]
    return output


def start_content_moderation(
    services: Services, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    video = _object(body, "Video", required=True)
    assert video is not None
    s3_object = _object(video, "S3Object")
    if s3_object is None:
        raise InvalidParameterException("Video needs S3Object.")
    minimum = _min_confidence(body)
    token = _string(body, "ClientRequestToken", _TOKEN, limit=64)
    tag = _string(body, "JobTag", _JOB_TAG)
    channel = _object(body, "NotificationChannel")
    if channel is not None:
        topic = _string(channel, "SNSTopicArn", limit=1024)
        role = _string(channel, "RoleArn", limit=2048)
        if topic is None or role is None:
            raise InvalidParameterException("NotificationChannel needs SNSTopicArn and RoleArn.")
        channel = {"SNSTopicArn": topic, "RoleArn": role}
    key = _blob_key(services, s3_object)
    _check_video(services, incoming_key(key, caller.key.tenant))
    job = {
        "Operation": "StartContentModeration",
        "MinConfidence": minimum,
        "JobTag": tag,
        "NotificationChannel": channel,
        "Video": {"S3Object": {"Bucket": s3_object["Bucket"], "Name": s3_object["Name"]}},
    }
    try:
        moderation, _created = services.pipeline.moderations.submit(
            blob_key=key,
            client_request_token=token,
            client=caller.key.name,
            actor=audit.key_actor(caller.key.id),
            tenant=caller.key.tenant,
            metadata={JOB_METADATA_KEY: job},
        )
    except InvalidImageFormatException as exc:
        # A video that cannot be read (cut short, corrupt, no video stream): Rekognition's
        # StartContentModeration has no InvalidImageFormatException.
        raise InvalidParameterException(exc.message) from exc
    return {"JobId": moderation["id"]}


def _check_video(services: Services, key: str) -> None:
    """Refuse an object that is not a video before anything is stored or moderated (an image
    would otherwise be moderated as one, under a JobId GetContentModeration does not know)."""
    header = services.blobs.head(key, HEADER_BYTES)  # a missing object: InvalidS3Object
    try:
        found = sniff(header)
    except ModgateError as exc:
        raise InvalidParameterException(f"Video.S3Object is not a video: {exc.message}") from exc
    if found.kind != "video":
        raise InvalidParameterException(
            f"Video.S3Object is a {found.format} image, not a video (MP4, MOV, WebM, MKV, AVI)."
        )


def get_content_moderation(
    services: Services, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    job_id = _string(body, "JobId", _TOKEN, limit=64)
    if job_id is None:
        raise InvalidParameterException("JobId is required.")
    max_results = body.get("MaxResults", 1000)
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise InvalidParameterException("MaxResults must be a whole number from 1.")
    token = _string(body, "NextToken", limit=255)
    sort_by = body.get("SortBy", "TIMESTAMP")
    aggregate_by = body.get("AggregateBy", "TIMESTAMPS")
    if sort_by not in _SORT_BY or aggregate_by not in _AGGREGATE_BY:
        raise InvalidParameterException(
            "SortBy is TIMESTAMP or NAME; AggregateBy is TIMESTAMPS or SEGMENTS."
        )
    moderation = services.pipeline.moderations.get(job_id, caller.key.tenant)
    job = (moderation.get("metadata") or {}).get(JOB_METADATA_KEY) or {}
    if moderation["kind"] != "video":
        raise ResourceNotFoundException(f"No content moderation job {job_id!r}.")
    try:
        answer = services.pipeline.moderations.labels(
            job_id,
            caller.key.tenant,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            max_results=min(max_results, 1000),  # the largest Rekognition honours
            next_token=token,
            min_confidence=float(job.get("MinConfidence", 50.0)),
        )
    except InvalidParameterException as exc:
        if token is not None and "NextToken" in exc.message:
            raise InvalidPaginationTokenException("Invalid pagination token.") from exc
        raise
    if job.get("JobTag"):
        answer["JobTag"] = job["JobTag"]
    if job.get("Video"):
        answer["Video"] = job["Video"]
    return answer


OPERATIONS = {
    "DetectModerationLabels": detect_moderation_labels,
    "StartContentModeration": start_content_moderation,
    "GetContentModeration": get_content_moderation,
}
# The scopes each operation needs of the key.
SCOPES = {
    "DetectModerationLabels": ("moderations:write",),
    "StartContentModeration": ("moderations:write",),
    "GetContentModeration": ("moderations:read",),
}
