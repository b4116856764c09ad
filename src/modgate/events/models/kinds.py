"""The registry of event kinds: every kind by name, and the names webhook endpoints subscribe
to (by default, or only by name)."""

from __future__ import annotations

from collections.abc import Mapping

from modgate.events.models.base import Event
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
    StreamHeld,
    StreamSegmentEnded,
    StreamSegmentStarted,
    StreamThumbnailRead,
)

EVENT_TYPES: Mapping[str, type[Event]] = {
    kind.name: kind
    for kind in (
        ModerationCreated,
        ModerationCompleted,
        ReviewCreated,
        ReviewCompleted,
        ReviewEscalated,
        AppealCreated,
        AppealResolved,
        PreviewRevealed,
        QualityChecked,
        ClearMediaRead,
        ReviewVerdictSubmitted,
        JobCancelled,
        JobRetried,
        JobNotified,
        StreamCreated,
        StreamHeld,
        StreamSegmentStarted,
        StreamSegmentEnded,
        StreamAction,
        StreamEnded,
        StreamThumbnailRead,
    )
}
"""Every kind of event, by name."""


STREAM_EVENTS = (
    StreamSegmentStarted.name,
    StreamSegmentEnded.name,
    StreamAction.name,
    StreamEnded.name,
)
"""The events of live streams an endpoint can subscribe to (an endpoint that names no events
gets them too)."""


WEBHOOK_EVENTS = (
    ModerationCompleted.name,
    ReviewCompleted.name,
    AppealResolved.name,
    *STREAM_EVENTS,
)
"""The events an endpoint that names none subscribes to, in the order it stores them."""


SUBSCRIBABLE_EVENTS = (*WEBHOOK_EVENTS, JobNotified.name)
"""Every event a webhook endpoint can subscribe to; the last ones only by name."""
