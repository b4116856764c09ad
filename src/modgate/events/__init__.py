"""Domain events: small dataclasses with a stable name, recorded in the same transaction as the
state change, delivered (webhooks, metrics) only after commit.

``record(session, ModerationCompleted(...))`` appends one to the log; the kinds are in
``modgate.events.models``; ``modgate.events.webhooks`` sends the public ones to customers.
"""

from __future__ import annotations

from modgate.events.log import record
from modgate.events.models import (
    EVENT_TYPES,
    STREAM_EVENTS,
    SUBSCRIBABLE_EVENTS,
    WEBHOOK_EVENTS,
    AppealCreated,
    AppealResolved,
    ClearMediaRead,
    Event,
    JobCancelled,
    JobNotified,
    JobRetried,
    ModerationCompleted,
    ModerationCreated,
    PreviewRevealed,
    QualityChecked,
    ReviewCompleted,
    ReviewCreated,
    ReviewEscalated,
    ReviewVerdictSubmitted,
    StreamAction,
    StreamCreated,
    StreamEnded,
    StreamEvent,
    StreamHeld,
    StreamSegmentEnded,
    StreamSegmentStarted,
    StreamThumbnailRead,
)
from modgate.events.tables import EventRow

__all__ = [
    "EVENT_TYPES",
    "STREAM_EVENTS",
    "SUBSCRIBABLE_EVENTS",
    "WEBHOOK_EVENTS",
    "AppealCreated",
    "AppealResolved",
    "ClearMediaRead",
    "Event",
    "EventRow",
    "JobCancelled",
    "JobNotified",
    "JobRetried",
    "ModerationCompleted",
    "ModerationCreated",
    "PreviewRevealed",
    "QualityChecked",
    "ReviewCompleted",
    "ReviewCreated",
    "ReviewEscalated",
    "ReviewVerdictSubmitted",
    "StreamAction",
    "StreamCreated",
    "StreamEnded",
    "StreamEvent",
    "StreamHeld",
    "StreamSegmentEnded",
    "StreamSegmentStarted",
    "StreamThumbnailRead",
    "record",
]
