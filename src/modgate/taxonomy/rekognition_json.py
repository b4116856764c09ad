"""Rekognition's JSON, produced and parsed in this one place: typed detections in, JSON out.

Inside modgate, detections are the typed values of ``modgate.taxonomy.detections``. Amazon
Rekognition's shapes are the wire format at the edges: ``DetectModerationLabels`` bodies (the
``modgate scan`` output, ``modgate policy explain`` input), ``GetContentModeration`` timeline
entries and segments (the video labels API), and the rows modgate stores (the ``detections``
table's ``result`` and the ``moderations`` table's ``labels`` and ``content_types``). Stored rows
are written exactly as they always were, key order included, and read back into the same values.

Stored detections (``detections.result``)::

    {"kind": "image", "ModerationModelVersion": ..., "ModerationLabels": [...],
     "ContentTypes": [...], "TextDetections": [...]}
    {"kind": "timeline", "ModerationModelVersion": ..., "entries": [...],
     "thumbnails": {"<ms>": "<blob key>"}, "unchecked": {...}}      (unchecked: when any)

A moderation row holds an image's labels and content types, or a timeline's entries (and no
content types).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from modgate.taxonomy.detections import (
    BoundingBox,
    ContentType,
    Detections,
    Geometry,
    ImageDetections,
    Label,
    Point,
    TextLine,
    Timeline,
    TimelineEntry,
    Unchecked,
)

JsonObject = dict[str, Any]


# ---- labels, content types, text ---------------------------------------------------------
def label_to_json(label: Label) -> JsonObject:
    out: JsonObject = {"Confidence": label.confidence, "Name": label.name}
    if label.parent is not None:
        out["ParentName"] = label.parent
    if label.level is not None:
        out["TaxonomyLevel"] = label.level
    return out


def label_from_json(item: Mapping[str, Any]) -> Label:
    return Label(
        item["Name"], item["Confidence"], item.get("ParentName"), item.get("TaxonomyLevel")
    )


def content_type_to_json(content_type: ContentType) -> JsonObject:
    return {"Name": content_type.name, "Confidence": content_type.confidence}


def content_type_from_json(item: Mapping[str, Any]) -> ContentType:
    return ContentType(item["Name"], item["Confidence"])


def text_line_to_json(line: TextLine) -> JsonObject:
    """Rekognition's ``TextDetection`` shape."""
    out: JsonObject = {"DetectedText": line.text, "Type": line.type}
    if line.id is not None:
        out["Id"] = line.id
    if line.parent_id is not None:
        out["ParentId"] = line.parent_id
    out["Confidence"] = line.confidence
    if line.geometry is not None:
        geometry: JsonObject = {}
        box = line.geometry.box
        if box is not None:
            geometry["BoundingBox"] = {
                "Width": box.width,
                "Height": box.height,
                "Left": box.left,
                "Top": box.top,
            }
        if line.geometry.polygon is not None:
            geometry["Polygon"] = [{"X": p.x, "Y": p.y} for p in line.geometry.polygon]
        out["Geometry"] = geometry
    return out


def text_line_from_json(item: Mapping[str, Any]) -> TextLine:
    geometry = None
    raw = item.get("Geometry")
    if isinstance(raw, Mapping):
        box = raw.get("BoundingBox")
        polygon = raw.get("Polygon")
        geometry = Geometry(
            BoundingBox(box["Width"], box["Height"], box["Left"], box["Top"]) if box else None,
            tuple(Point(p["X"], p["Y"]) for p in polygon) if polygon is not None else None,
        )
    return TextLine(
        str(item.get("DetectedText", "")),
        item.get("Confidence", 100.0),
        str(item.get("Type", "LINE")),
        item.get("Id"),
        item.get("ParentId"),
        geometry,
    )


# ---- images: DetectModerationLabels ------------------------------------------------------
def image_body(detections: ImageDetections, min_confidence: float = 50.0) -> JsonObject:
    """A ``DetectModerationLabels`` response body: labels and content types at or above
    ``min_confidence`` (``TextDetections`` added when there is text)."""
    body: JsonObject = {
        "ModerationLabels": [
            label_to_json(label)
            for label in detections.labels
            if label.confidence >= min_confidence
        ],
        "ModerationModelVersion": detections.model_version,
        "ContentTypes": [
            content_type_to_json(item)
            for item in detections.content_types
            if item.confidence >= min_confidence
        ],
    }
    if detections.text:
        body["TextDetections"] = [text_line_to_json(line) for line in detections.text]
    return body


def image_from_body(body: Mapping[str, Any]) -> ImageDetections:
    """A ``DetectModerationLabels`` body (or the stored image row) as ``ImageDetections``.
    ``Text`` (a string or a list of lines, as policy test cases write it) gives lines of text
    at full confidence."""
    return ImageDetections(
        tuple(label_from_json(item) for item in body.get("ModerationLabels") or ()),
        tuple(content_type_from_json(item) for item in body.get("ContentTypes") or ()),
        _text_of(body),
        str(body.get("ModerationModelVersion") or ""),
    )


def _text_of(body: Mapping[str, Any]) -> tuple[TextLine, ...]:
    shorthand = body.get("Text")
    if isinstance(shorthand, list):
        shorthand = "\n".join(map(str, shorthand))
    if isinstance(shorthand, str):
        return tuple(TextLine(line) for line in shorthand.split("\n")) if shorthand else ()
    return tuple(text_line_from_json(item) for item in body.get("TextDetections") or ())


# ---- timelines: GetContentModeration -----------------------------------------------------
def entry_to_json(entry: TimelineEntry) -> JsonObject:
    """One entry in ``GetContentModeration``'s shape (``aggregate_by=TIMESTAMPS``, or a
    segment)."""
    out: JsonObject = {"Timestamp": entry.start_ms, "ModerationLabel": label_to_json(entry.label)}
    if entry.end_ms is not None:
        out["StartTimestampMillis"] = entry.start_ms
        out["EndTimestampMillis"] = entry.end_ms
        out["DurationMillis"] = entry.end_ms - entry.start_ms
    out["ContentTypes"] = [content_type_to_json(item) for item in entry.content_types]
    return out


def entry_from_json(item: Mapping[str, Any]) -> TimelineEntry:
    start = item.get("StartTimestampMillis", item.get("Timestamp", 0))
    end = item.get("EndTimestampMillis")
    if end is None and item.get("DurationMillis") is not None:
        end = start + item["DurationMillis"]
    return TimelineEntry(
        start,
        end,
        label_from_json(item["ModerationLabel"]),
        tuple(content_type_from_json(c) for c in item.get("ContentTypes") or ()),
    )


def segments_json(
    entries: Iterable[Mapping[str, Any]], min_confidence: float, gap_ms: int
) -> list[JsonObject]:
    """Stored timeline entries merged into segments (``Timeline.segments``), as JSON."""
    timeline = Timeline(tuple(entry_from_json(item) for item in entries))
    return [entry_to_json(entry) for entry in timeline.segments(min_confidence, gap_ms)]


# ---- any accepted input (policy explain, policy test cases) -------------------------------
def detections_from_json(data: Any, labels: Sequence[Label] | None = None) -> Detections:
    """Detections from what a user hands the policy tools: a ``DetectModerationLabels`` body,
    a ``GetContentModeration`` response, or a bare list of labels or of timeline entries.
    ``labels``: labels given apart (a policy test case's ``labels`` shorthand), in place of the
    body's own."""
    if isinstance(data, list):
        data = {"ModerationLabels": data}
    if not isinstance(data, Mapping):
        raise ValueError("detections must be a JSON object or a list of labels")
    if labels is not None:
        data = {**data, "ModerationLabels": [label_to_json(label) for label in labels]}
    if data.get("kind") in ("image", "timeline"):
        return stored_detections_from_json(data)
    labels = data.get("ModerationLabels") or []
    if labels and _is_entry(labels[0]):
        return Timeline(
            tuple(entry_from_json(item) for item in labels),
            str(data.get("ModerationModelVersion") or ""),
        )
    return image_from_body(data)


def _is_entry(item: Any) -> bool:
    return isinstance(item, Mapping) and "ModerationLabel" in item


# ---- stored rows -------------------------------------------------------------------------
def stored_detections_to_json(detections: Detections) -> JsonObject:
    """The ``detections`` table's ``result`` for these detections."""
    if isinstance(detections, Timeline):
        out: JsonObject = {
            "kind": "timeline",
            "ModerationModelVersion": detections.model_version,
            "entries": [entry_to_json(entry) for entry in detections.entries],
            "thumbnails": thumbnails_json(detections),
        }
        if detections.unchecked is not None:
            out["unchecked"] = unchecked_to_json(detections.unchecked)
        return out
    return {
        "kind": "image",
        "ModerationModelVersion": detections.model_version,
        "ModerationLabels": [label_to_json(label) for label in detections.labels],
        "ContentTypes": [content_type_to_json(item) for item in detections.content_types],
        "TextDetections": [text_line_to_json(line) for line in detections.text],
    }


def stored_detections_from_json(result: Mapping[str, Any]) -> Detections:
    """The detections a ``detections`` row holds."""
    if result.get("kind") == "timeline":
        unchecked = result.get("unchecked")
        return Timeline(
            tuple(entry_from_json(item) for item in result.get("entries") or ()),
            str(result.get("ModerationModelVersion") or ""),
            {int(ms): key for ms, key in (result.get("thumbnails") or {}).items()},
            unchecked_from_json(unchecked) if unchecked else None,
        )
    return image_from_body(result)


def thumbnails_json(timeline: Timeline) -> dict[str, str]:
    """A timeline's thumbnail keys by time, as stored and shown: ``{"<ms>": "<blob key>"}``."""
    return {str(ms): key for ms, key in timeline.thumbnails.items()}


def unchecked_to_json(unchecked: Unchecked) -> JsonObject:
    return {
        "unchecked_ms": unchecked.unseen_ms,
        "damaged_packets": unchecked.damaged_packets,
        "reason": unchecked.reason,
    }


def unchecked_from_json(item: Mapping[str, Any]) -> Unchecked:
    return Unchecked(item["unchecked_ms"], item["damaged_packets"], item["reason"])


def moderation_columns(detections: Detections) -> tuple[list[JsonObject], list[JsonObject]]:
    """A moderation row's ``labels`` and ``content_types``: an image's labels and content
    types, or a timeline's entries (and no content types)."""
    if isinstance(detections, Timeline):
        return [entry_to_json(entry) for entry in detections.entries], []
    return (
        [label_to_json(label) for label in detections.labels],
        [content_type_to_json(item) for item in detections.content_types],
    )


def moderation_detections(
    kind: str,
    labels: Sequence[Mapping[str, Any]] | None,
    content_types: Sequence[Mapping[str, Any]] | None = None,
    model_version: str | None = None,
    text: Mapping[str, Any] | None = None,
) -> Detections:
    """The detections a moderation row holds (``kind``, ``labels``, ``content_types``,
    ``model_version``). Animations are stored with kind ``image`` and timeline entries.
    ``text``: the row's stored detections, when its text is wanted too."""
    version = model_version or ""
    if not labels:
        if kind == "video":
            return Timeline((), version)
        return ImageDetections(text=_text_of(text) if text else (), model_version=version)
    if kind == "video" or _is_entry(labels[0]):
        return Timeline(tuple(map(entry_from_json, labels)), version)
    return ImageDetections(
        tuple(map(label_from_json, labels)),
        tuple(map(content_type_from_json, content_types or ())),
        _text_of(text) if text else (),
        version,
    )


# Where a job started through Rekognition's API keeps its request (the moderation's metadata).
JOB_METADATA_KEY = "rekognition"


def job_notification(row: Any, metadata: Mapping[str, Any] | None) -> JsonObject | None:
    """The SNS message Rekognition publishes when a ``StartContentModeration`` job with a
    ``NotificationChannel`` ends; None for any other moderation. ``row``: the decided
    moderation (``id``, ``status``, ``decided_at``)."""
    job = (metadata or {}).get(JOB_METADATA_KEY) or {}
    channel = job.get("NotificationChannel")
    if not channel:
        return None
    s3_object = (job.get("Video") or {}).get("S3Object") or {}
    return {
        "JobId": row.id,
        "Status": "SUCCEEDED" if row.status == "completed" else "FAILED",
        "API": "StartContentModeration",
        "JobTag": job.get("JobTag"),
        "Timestamp": int(row.decided_at.timestamp() * 1000) if row.decided_at else None,
        "Video": {"S3ObjectName": s3_object.get("Name"), "S3Bucket": s3_object.get("Bucket")},
        "TopicArn": channel.get("SNSTopicArn"),
    }
