"""The events modgate records: one small frozen dataclass per kind of thing that happened.

Each class has a stable ``name`` (stored in ``events.name``; a webhook's ``type`` and
``Modgate-Event`` header) and a docstring saying when it is recorded. ``payload()`` is the JSON
stored beside it, and so, for the kinds in ``WEBHOOK_EVENTS``, the ``data`` a webhook receiver
gets: names and payload keys are a public contract (add keys, never rename them). Events are
built by the code that changes the state and recorded in that same transaction
(``modgate.events.record``); nothing is sent before the commit.

Events about a decision carry ``moderation``, the moderation's summary as webhooks show it (built
by the moderation's owner), so a receiver can act without looking the moderation up.

Recording an event also appends its audit entry (``modgate.audit``): the payload is hashed, and
``audit_detail()`` — the few non-personal facts an auditor reads in an item's history — is kept.

The kinds live in one module per area (``moderation``, ``review``, ``streams``) beside their base
(``base``) and registry (``kinds``); this package gathers them.
"""

from modgate.events.models.base import Event
from modgate.events.models.kinds import (
    EVENT_TYPES,
    STREAM_EVENTS,
    SUBSCRIBABLE_EVENTS,
    WEBHOOK_EVENTS,
)
from modgate.events.models.moderation import (
    ClearMediaRead,
    JobCancelled,
    JobNotified,
    JobRetried,
    ModerationCompleted,
    ModerationCreated,
)
from modgate.events.models.review import (
    AppealCreated,
    AppealResolved,
    PreviewRevealed,
    QualityChecked,
    ReviewCompleted,
    ReviewCreated,
    ReviewEscalated,
    ReviewVerdictSubmitted,
)
from modgate.events.models.streams import (
    StreamAction,
    StreamCreated,
    StreamEnded,
    StreamEvent,
    StreamHeld,
    StreamSegmentEnded,
    StreamSegmentStarted,
    StreamThumbnailRead,
)

__all__ = [
    "AppealCreated",
    "AppealResolved",
    "ClearMediaRead",
    "EVENT_TYPES",
    "Event",
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
    "STREAM_EVENTS",
    "SUBSCRIBABLE_EVENTS",
    "StreamAction",
    "StreamCreated",
    "StreamEnded",
    "StreamEvent",
    "StreamHeld",
    "StreamSegmentEnded",
    "StreamSegmentStarted",
    "StreamThumbnailRead",
    "WEBHOOK_EVENTS",
]
