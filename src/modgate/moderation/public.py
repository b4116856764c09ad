"""How a moderation reads from outside: the public moderation body, the video labels shaped like
Amazon Rekognition's ``GetContentModeration`` (sort, aggregation, pagination), and the summary
events (and so webhooks) carry. One definition for the API, the review lane and the pipeline,
so what a client sees does not depend on who wrote the moderation last."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from modgate.errors import InvalidParameterException
from modgate.media.store import MediaRecord
from modgate.moderation.models import StoredExtra, StoredModeration
from modgate.taxonomy.rekognition_json import segments_json as segments

JOB_STATUS = {
    "queued": "IN_PROGRESS",
    "processing": "IN_PROGRESS",
    "completed": "SUCCEEDED",
    "failed": "FAILED",
}


def is_timeline(row: StoredModeration, extra: StoredExtra | None = None) -> bool:
    """Labels stored per timestamp: videos, and animations (whose entries say so)."""
    if row.kind == "video" or (extra is not None and extra.thumbnails is not None):
        return True
    return bool(row.labels) and "ModerationLabel" in (row.labels or [{}])[0]


def public_moderation(
    row: StoredModeration,
    extra: StoredExtra | None,
    record: MediaRecord | None,
    review: dict[str, Any] | None,
    gap_ms: int,
    brief: bool = False,
) -> dict[str, Any]:
    decision = row.decision or {}
    body: dict[str, Any] = {
        "id": row.id,
        "status": row.status,
        "kind": row.kind,
        "external_id": row.external_id,
        "client_request_token": row.client_request_token,
        "created_at": row.created_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "context": row.context,
        "action": row.action,
        "final_action": row.final_action,
        "rule": row.rule_id,
        "policy_version": row.policy_version,
    }
    if brief:
        return body
    body["media"] = record.to_public() if record else {"id": row.media_id}
    body["metadata"] = extra.client_metadata if extra else {}
    body["model_version"] = row.model_version
    if is_timeline(row, extra):
        body["segments"] = segments(row.labels or [], 50.0, gap_ms)
        body["flagged_timestamps"] = sorted({s["StartTimestampMillis"] for s in body["segments"]})
        body["thumbnails"] = (extra.thumbnails if extra else None) or {}
    else:
        body["labels"] = [label for label in (row.labels or []) if label["Confidence"] >= 50.0]
        body["content_types"] = [c for c in (row.content_types or []) if c["Confidence"] >= 50.0]
    # What the text detectors found: the text itself, a caption, text read in the picture.
    body["text_findings"] = (extra.text_findings if extra else None) or []
    body["decision"] = (
        {
            key: decision.get(key)
            for key in (
                "action",
                "rule",
                "policy",
                "policy_version",
                "reasons",
                "matched",
                "review",
                "overlays",
            )
        }
        if decision
        else None
    )
    body["bank_matches"] = decision.get("bank_matches", [])
    body["review"] = review
    body["error"] = row.error
    return body


def labels_response(
    row: StoredModeration,
    extra: StoredExtra | None,
    *,
    sort_by: str = "TIMESTAMP",
    aggregate_by: str = "TIMESTAMPS",
    max_results: int = 1000,
    next_token: str | None = None,
    min_confidence: float = 50.0,
    default_gap_ms: int = 1500,
) -> dict[str, Any]:
    sort_by, aggregate_by = sort_by.upper(), aggregate_by.upper()
    if sort_by not in ("TIMESTAMP", "NAME"):
        raise InvalidParameterException("SortBy must be TIMESTAMP or NAME.")
    if aggregate_by not in ("TIMESTAMPS", "SEGMENTS"):
        raise InvalidParameterException("AggregateBy must be TIMESTAMPS or SEGMENTS.")
    if not 1 <= max_results <= 1000:
        raise InvalidParameterException("MaxResults must be between 1 and 1000.")
    if not 0 <= min_confidence <= 100:
        raise InvalidParameterException("MinConfidence must be between 0 and 100.")
    body: dict[str, Any] = {
        "JobStatus": JOB_STATUS.get(row.status, "IN_PROGRESS"),
        "JobId": row.id,
        "ModerationModelVersion": row.model_version or "",
        "VideoMetadata": (extra.video_metadata if extra else None) or {},
        "GetRequestMetadata": {"SortBy": sort_by, "AggregateBy": aggregate_by},
    }
    if row.status == "failed":
        body["StatusMessage"] = (row.error or {}).get("message", "")
    if row.status != "completed":
        body["ModerationLabels"] = []
        return body
    if not is_timeline(row, extra):
        what = "a text; its findings" if row.kind == "text" else "a still image; its labels"
        raise InvalidParameterException(
            f"This moderation is {what} are in GET /v1/moderations/{{id}}."
        )
    entries = [
        dict(e) for e in row.labels or [] if e["ModerationLabel"]["Confidence"] >= min_confidence
    ]
    if aggregate_by == "SEGMENTS":
        entries = segments(entries, min_confidence, default_gap_ms)
    if sort_by == "NAME":
        entries.sort(key=lambda e: (e["ModerationLabel"]["Name"], e["Timestamp"]))
    else:
        entries.sort(key=lambda e: (e["Timestamp"], e["ModerationLabel"]["Name"]))
    start = _offset(next_token)
    page = entries[start : start + max_results]
    body["ModerationLabels"] = page
    if start + max_results < len(entries):
        body["NextToken"] = _token(start + max_results)
    return body


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["o"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidParameterException("NextToken is not valid.") from exc
    if type(offset) is not int or offset < 0:  # only what ``_token`` writes
        raise InvalidParameterException("NextToken is not valid.")
    return offset


# The columns an event's summary reads (besides the decision).
SUMMARY_COLUMNS = (
    "id",
    "external_id",
    "status",
    "kind",
    "sha256",
    "action",
    "final_action",
    "rule_id",
    "policy_version",
    "surface",
)


def moderation_summary(
    row: StoredModeration, decision: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What events (and so webhooks) say about a moderation: enough to act without a lookup.
    ``row``: a mapped row, a result row (only ``SUMMARY_COLUMNS`` are read, and ``decision``
    when none is given) or a record; ``decision`` the decision when the row does not carry it."""
    if decision is None:
        decision = row.decision or {}
    return {
        "moderation_id": row.id,
        "external_id": row.external_id,
        "status": row.status,
        "kind": row.kind,
        "sha256": row.sha256,
        "action": row.action,
        "final_action": row.final_action,
        "rule": row.rule_id,
        "policy_version": row.policy_version,
        "reasons": decision.get("reasons", []),
        "surface": row.surface,
    }
