"""The three Rekognition moderation operations over modgate's pipeline: request checking as
Rekognition's service model and limits say, then the same moderation a ``/v1`` call makes."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image

from modgate import audit
from modgate.auth.models import ApiKey
from modgate.detection.custom.head import LinearHead
from modgate.detection.custom.store import CustomLabel
from modgate.errors import (
    InvalidImageFormatException,
    InvalidParameterException,
    ModgateError,
    ResourceNotFoundException,
)
from modgate.media.blobstore import incoming_key
from modgate.media.sniff import HEADER_BYTES, sniff
from modgate.moderation.models import ModerationRecord
from modgate.rekognition.requests import (
    blob_key_of,
    human_loop,
    image_bytes,
    min_confidence,
    object_field,
    string_field,
)
from modgate.services import Services
from modgate.taxonomy import taxonomy_v7
from modgate.taxonomy.detections import ContentType, Timeline
from modgate.taxonomy.rekognition_json import (
    JOB_METADATA_KEY,
    content_type_to_json,
    label_to_json,
    moderation_detections,
)

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
    image = object_field(body, "Image", required=True)
    assert image is not None
    minimum = min_confidence(body)
    loop = human_loop(object_field(body, "HumanLoopConfig"))
    project_version = string_field(body, "ProjectVersion", limit=2048)
    adapter = (
        _adapter(services, caller.key.tenant, project_version)
        if project_version is not None
        else None
    )
    data = image_bytes(services, image, caller.key.tenant)
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
    video = object_field(body, "Video", required=True)
    assert video is not None
    s3_object = object_field(video, "S3Object")
    if s3_object is None:
        raise InvalidParameterException("Video needs S3Object.")
    minimum = min_confidence(body)
    token = string_field(body, "ClientRequestToken", _TOKEN, limit=64)
    tag = string_field(body, "JobTag", _JOB_TAG)
    channel = object_field(body, "NotificationChannel")
    if channel is not None:
        topic = string_field(channel, "SNSTopicArn", limit=1024)
        role = string_field(channel, "RoleArn", limit=2048)
        if topic is None or role is None:
            raise InvalidParameterException("NotificationChannel needs SNSTopicArn and RoleArn.")
        channel = {"SNSTopicArn": topic, "RoleArn": role}
    key = blob_key_of(services, s3_object)
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
    job_id = string_field(body, "JobId", _TOKEN, limit=64)
    if job_id is None:
        raise InvalidParameterException("JobId is required.")
    max_results = body.get("MaxResults", 1000)
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise InvalidParameterException("MaxResults must be a whole number from 1.")
    token = string_field(body, "NextToken", limit=255)
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
