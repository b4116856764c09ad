"""A live stream as the API shows it, and the words its states use.

States: ``starting`` (accepted; no picture read yet) → ``live`` (pictures are being sampled) →
``ended`` (the source ended, was lost for good, or the longest duration passed), ``stopped``
(a client stopped it) or ``failed`` (no picture could ever be read); ``reason`` says why.
Segments are in Rekognition's segment shape (``StartTimestampMillis``, ``EndTimestampMillis``,
``DurationMillis``, ``ModerationLabel``), timed from the stream's start, with ``Open`` true
while the label is still on screen (its end is then the last sample that showed it so far).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from modgate.streams.segments import OpenSegment
from modgate.streams.tables import StreamRow, StreamSegmentRow
from modgate.taxonomy.detections import Label, TimelineEntry
from modgate.taxonomy.rekognition_json import entry_to_json

StreamStatus = Literal["starting", "live", "ended", "stopped", "failed"]
ACTIVE: tuple[StreamStatus, ...] = ("starting", "live")
FINISHED: tuple[StreamStatus, ...] = ("ended", "stopped", "failed")
SCHEMES = ("http", "https", "rtmp", "rtmps", "rtsp", "rtsps", "srt")
TERMINABLE = ("annotate", "review", "block")  # policy actions a stream may be ended for
SEGMENT_FLOOR = 50.0  # the confidence a label needs to open a segment (as files' segments)


def segment_json(label: Label, start_ms: int, end_ms: int, is_open: bool) -> dict[str, Any]:
    """One segment in Rekognition's shape, plus ``Open``."""
    body = entry_to_json(TimelineEntry(start_ms, max(end_ms, start_ms), label))
    body["Open"] = is_open
    return body


def open_segment_json(segment: OpenSegment, is_open: bool) -> dict[str, Any]:
    return segment_json(segment.label, segment.start_ms, segment.last_ms, is_open)


def row_label(row: StreamSegmentRow) -> Label:
    return Label(row.label, row.confidence, row.parent, row.taxonomy_level)


def segment_row_json(row: StreamSegmentRow) -> dict[str, Any]:
    is_open = row.end_ms is None
    end = row.last_ms if row.end_ms is None else row.end_ms
    body = segment_json(row_label(row), row.start_ms, end, is_open)
    body["SegmentId"] = row.id
    if row.thumbnail:
        body["ThumbnailKey"] = row.thumbnail
    return body


def stream_public(row: StreamRow, segments: Sequence[StreamSegmentRow] | None) -> dict[str, Any]:
    """The stream as the API answers it (``segments`` None: the list's brief form)."""
    body: dict[str, Any] = {
        "id": row.id,
        "url": row.url,
        "external_id": row.external_id,
        "context": dict(row.context or {}),
        "fps": row.fps,
        "terminate_on": list(row.terminate_on or []),
        "status": row.status,
        "reason": row.reason,
        "samples": row.samples,
        "last_sample_ms": row.last_sample_ms,
        "skipped_ms": row.skipped_ms,
        "gaps": list(row.gaps or []),
        "last_action": row.last_action,
        "created_at": row.created_at.isoformat(),
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
    }
    if segments is not None:
        body["segments"] = [segment_row_json(segment) for segment in segments]
    return body
