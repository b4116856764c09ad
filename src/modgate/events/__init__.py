"""Domain events: small dataclasses with a stable name, recorded in the same transaction as the
state change, delivered (webhooks, metrics) only after commit.

``record(session, ModerationCompleted(...))`` appends one to the log; the kinds are in
``modgate.events.models``; ``modgate.events.webhooks`` sends the public ones to customers.
"""

from __future__ import annotations

from modgate.events.log import record, record_event
from modgate.events.models import (
    EVENT_TYPES,
    WEBHOOK_EVENTS,
    AppealCreated,
    AppealResolved,
    ClearMediaRead,
    Event,
    ModerationCompleted,
    ModerationCreated,
    PreviewRevealed,
    ReviewCompleted,
    ReviewCreated,
    ReviewEscalated,
)
from modgate.events.tables import EventRow

# The names on their own, for queries on the log (``EventRow.name == MODERATION_COMPLETED``).
MODERATION_CREATED = ModerationCreated.name
MODERATION_COMPLETED = ModerationCompleted.name
REVIEW_CREATED = ReviewCreated.name
REVIEW_COMPLETED = ReviewCompleted.name
REVIEW_ESCALATED = ReviewEscalated.name
APPEAL_CREATED = AppealCreated.name
APPEAL_RESOLVED = AppealResolved.name
PREVIEW_REVEALED = PreviewRevealed.name
MEDIA_CLEAR_READ = ClearMediaRead.name

__all__ = [
    "APPEAL_CREATED",
    "APPEAL_RESOLVED",
    "EVENT_TYPES",
    "MEDIA_CLEAR_READ",
    "MODERATION_COMPLETED",
    "MODERATION_CREATED",
    "PREVIEW_REVEALED",
    "REVIEW_COMPLETED",
    "REVIEW_CREATED",
    "REVIEW_ESCALATED",
    "WEBHOOK_EVENTS",
    "AppealCreated",
    "AppealResolved",
    "ClearMediaRead",
    "Event",
    "EventRow",
    "ModerationCompleted",
    "ModerationCreated",
    "PreviewRevealed",
    "ReviewCompleted",
    "ReviewCreated",
    "ReviewEscalated",
    "record",
    "record_event",
]
