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
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class Event(ABC):
    """Something that happened to one moderation. ``actor`` is who made it happen, as the audit
    log names actors (``modgate.audit``: ``key:<id>``, ``user:<id>``, ``cli:<user>@<host>``,
    ``anonymous``); None for modgate itself."""

    name: ClassVar[str]
    moderation_id: str
    actor: str | None = None

    @abstractmethod
    def payload(self) -> dict[str, Any]:
        """The JSON stored with the event."""

    def audit_object(self) -> str:
        """What the audit entry is about: ``moderation:<id>``."""
        return f"moderation:{self.moderation_id}"

    def audit_detail(self) -> dict[str, Any]:
        """The facts of the payload an auditor sees (never personal data)."""
        return {}

    def own_tenant(self) -> str | None:
        """The tenant, for an event about no moderation that knows it (a stream's)."""
        return None


@dataclass(frozen=True, kw_only=True)
class ModerationCreated(Event):
    """``moderation.created``: media or a text was accepted and its moderation queued, in the
    same transaction as its job. ``actor`` is the API client; ``kind`` image, video or text."""

    name: ClassVar[str] = "moderation.created"
    external_id: str | None
    sha256: str
    kind: str = "image"

    def payload(self) -> dict[str, Any]:
        return {"external_id": self.external_id, "sha256": self.sha256, "kind": self.kind}

    def audit_detail(self) -> dict[str, Any]:
        return {"sha256": self.sha256}


@dataclass(frozen=True, kw_only=True)
class ModerationCompleted(Event):
    """``moderation.completed`` (webhook): the moderation's decision was committed, once. Also
    when processing failed for good: its status is then ``failed`` and it went to review."""

    name: ClassVar[str] = "moderation.completed"
    moderation: Mapping[str, Any]

    def payload(self) -> dict[str, Any]:
        return dict(self.moderation)

    def audit_detail(self) -> dict[str, Any]:
        return _decision_facts(self.moderation)


@dataclass(frozen=True, kw_only=True)
class ReviewCreated(Event):
    """``review.created``: a review was opened (policy said review, an appeal, an escalation,
    a failed job), with one task per reviewer slot, due at ``due_at``."""

    name: ClassVar[str] = "review.created"
    review_id: str
    kind: str
    queue: str
    priority: str
    reviewers: int
    due_at: dt.datetime

    def payload(self) -> dict[str, Any]:
        return {
            "review_id": self.review_id,
            "kind": self.kind,
            "queue": self.queue,
            "priority": self.priority,
            "reviewers": self.reviewers,
            "due_at": self.due_at.isoformat(),
        }

    def audit_detail(self) -> dict[str, Any]:
        detail = self.payload()
        del detail["due_at"]
        return detail


@dataclass(frozen=True, kw_only=True)
class ReviewCompleted(Event):
    """``review.completed`` (webhook): the reviewers' verdicts were consolidated into the
    moderation's final action (``moderation["final_action"]``); ``verdict`` says how."""

    name: ClassVar[str] = "review.completed"
    moderation: Mapping[str, Any]
    review_id: str
    verdict: Mapping[str, Any]

    def payload(self) -> dict[str, Any]:
        return dict(self.moderation) | {"review_id": self.review_id, "verdict": dict(self.verdict)}

    def audit_detail(self) -> dict[str, Any]:
        facts = {k: self.verdict.get(k) for k in ("action", "reviewers", "strategy", "escalated")}
        return _decision_facts(self.moderation) | {"review_id": self.review_id} | facts


@dataclass(frozen=True, kw_only=True)
class ReviewEscalated(Event):
    """``review.escalated``: the reviewers did not agree, so the review went to the senior
    queue as review ``escalation_id``; ``disagreements`` are the categories they differed on."""

    name: ClassVar[str] = "review.escalated"
    review_id: str
    escalation_id: str
    reason: str
    disagreements: Sequence[str] = ()

    def payload(self) -> dict[str, Any]:
        return {
            "review_id": self.review_id,
            "escalation_id": self.escalation_id,
            "reason": self.reason,
            "disagreements": sorted(self.disagreements),
        }

    def audit_detail(self) -> dict[str, Any]:
        return self.payload()


@dataclass(frozen=True, kw_only=True)
class AppealCreated(Event):
    """``appeal.created``: someone appealed a decided moderation; review ``review_id`` (by
    reviewers other than the first ones) will decide it."""

    name: ClassVar[str] = "appeal.created"
    appeal_id: str
    review_id: str
    previous_action: str | None
    appellant: str | None

    def payload(self) -> dict[str, Any]:
        return {
            "appeal_id": self.appeal_id,
            "review_id": self.review_id,
            "previous_action": self.previous_action,
            "appellant": self.appellant,
        }

    def audit_detail(self) -> dict[str, Any]:
        detail = self.payload()
        del detail["appellant"]  # a person's name or handle
        return detail


@dataclass(frozen=True, kw_only=True)
class AppealResolved(Event):
    """``appeal.resolved`` (webhook): the appeal's review decided; ``outcome`` is ``upheld``
    (the action stands) or ``overturned`` (``final_action`` replaces ``previous_action``)."""

    name: ClassVar[str] = "appeal.resolved"
    moderation: Mapping[str, Any]
    appeal_id: str
    review_id: str
    outcome: str
    previous_action: str | None
    final_action: str | None
    labels: Mapping[str, bool]
    missed: Sequence[str]

    def resolution(self) -> dict[str, Any]:
        """The appeal's part of the payload (also what the API answers about the appeal)."""
        return {
            "appeal_id": self.appeal_id,
            "review_id": self.review_id,
            "outcome": self.outcome,
            "previous_action": self.previous_action,
            "final_action": self.final_action,
            "labels": dict(self.labels),
            "missed": list(self.missed),
        }

    def payload(self) -> dict[str, Any]:
        return dict(self.moderation) | self.resolution()

    def audit_detail(self) -> dict[str, Any]:
        resolution = self.resolution()
        del resolution["labels"], resolution["missed"]
        return _decision_facts(self.moderation) | resolution


@dataclass(frozen=True, kw_only=True)
class PreviewRevealed(Event):
    """``preview.revealed``: reviewer ``actor`` looked at the clear (unblurred) preview of a
    task's media; recorded before the image is served, counted against the daily reveal cap."""

    name: ClassVar[str] = "preview.revealed"
    task_id: str
    review_id: str

    def payload(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "review_id": self.review_id}

    def audit_detail(self) -> dict[str, Any]:
        return self.payload()


@dataclass(frozen=True, kw_only=True)
class QualityChecked(Event):
    """``quality.checked``: a blind quality check of an automatic decision was done; the
    decision stands (``machine_action``), ``outcome`` is what the reviewer found (action,
    labels named). Never sent to webhooks: it measures modgate, it does not decide."""

    name: ClassVar[str] = "quality.checked"
    review_id: str
    machine_action: str | None
    outcome: Mapping[str, Any]

    def payload(self) -> dict[str, Any]:
        return {
            "review_id": self.review_id,
            "machine_action": self.machine_action,
            "outcome": dict(self.outcome),
        }


@dataclass(frozen=True, kw_only=True)
class ClearMediaRead(Event):
    """``media.clear_read``: API client ``actor`` (its key id; None when keys are not required)
    was sent clear (unblurred) pixels of media ``media_id`` — a ``preview`` or the
    ``thumbnail`` at ``timestamp_ms`` of moderation ``moderation_id`` (None for a preview)."""

    name: ClassVar[str] = "media.clear_read"
    moderation_id: str | None = None  # type: ignore[assignment]  # a preview has none
    media_id: str
    rendition: str
    timestamp_ms: int | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "media_id": self.media_id,
            "rendition": self.rendition,
            "timestamp_ms": self.timestamp_ms,
        }

    def audit_object(self) -> str:
        if self.moderation_id is None:
            return f"media:{self.media_id}"
        return super().audit_object()

    def audit_detail(self) -> dict[str, Any]:
        return self.payload()


@dataclass(frozen=True, kw_only=True)
class ReviewVerdictSubmitted(Event):
    """``review.verdict``: reviewer ``actor`` submitted verdict ``verdict_id`` on task
    ``task_id`` of review ``review_id``: the action they chose and the labels they set."""

    name: ClassVar[str] = "review.verdict"
    verdict_id: str
    task_id: str
    review_id: str
    action: str
    labels: Mapping[str, bool]
    missed: Sequence[str] = ()

    def payload(self) -> dict[str, Any]:
        return {
            "verdict_id": self.verdict_id,
            "task_id": self.task_id,
            "review_id": self.review_id,
            "action": self.action,
            "labels": dict(self.labels),
            "missed": sorted(self.missed),
        }

    def audit_detail(self) -> dict[str, Any]:
        return self.payload()


@dataclass(frozen=True, kw_only=True)
class JobCancelled(Event):
    """``job.cancelled``: ``actor`` cancelled job ``job_id`` before it ran; the moderation went
    to review as one whose processing failed."""

    name: ClassVar[str] = "job.cancelled"
    job_id: str

    def payload(self) -> dict[str, Any]:
        return {"job_id": self.job_id}

    def audit_detail(self) -> dict[str, Any]:
        return self.payload()


@dataclass(frozen=True, kw_only=True)
class JobRetried(Event):
    """``job.retried``: ``actor`` queued failed job ``job_id`` again; the moderation's open
    reviews were withdrawn and it is queued."""

    name: ClassVar[str] = "job.retried"
    job_id: str

    def payload(self) -> dict[str, Any]:
        return {"job_id": self.job_id}

    def audit_detail(self) -> dict[str, Any]:
        return self.payload()


def _decision_facts(moderation: Mapping[str, Any]) -> dict[str, Any]:
    """What an auditor reads of a moderation summary: the decision and the policy behind it."""
    keys = ("status", "action", "final_action", "rule", "policy_version", "surface")
    return {key: moderation.get(key) for key in keys}


@dataclass(frozen=True, kw_only=True)
class JobNotified(Event):
    """``rekognition.job.completed`` (webhook, on request): a video job started through
    Rekognition's ``StartContentModeration`` with a ``NotificationChannel`` ended, in the same
    transaction as its decision. The payload is the message Rekognition publishes to SNS
    (``JobId``, ``Status``, ``API``, ``JobTag``, ``Timestamp``, ``Video``) and the ``TopicArn``
    the job named. Sent only to endpoints that subscribe to it by name."""

    name: ClassVar[str] = "rekognition.job.completed"
    message: Mapping[str, Any]

    def payload(self) -> dict[str, Any]:
        return dict(self.message)


@dataclass(frozen=True, kw_only=True)
class StreamEvent(Event):
    """Something that happened to live stream ``stream_id`` of ``tenant`` (no moderation).
    Times are milliseconds from the stream's start."""

    moderation_id: str | None = None  # type: ignore[assignment]  # a stream is no moderation
    stream_id: str
    tenant: str
    external_id: str | None = None

    def own_tenant(self) -> str | None:
        return self.tenant

    def audit_object(self) -> str:
        return f"stream:{self.stream_id}"

    def base(self) -> dict[str, Any]:
        return {"stream_id": self.stream_id, "external_id": self.external_id}

    def payload(self) -> dict[str, Any]:
        return self.base()


@dataclass(frozen=True, kw_only=True)
class StreamCreated(StreamEvent):
    """``stream.created``: API client ``actor`` asked for live stream ``stream_id`` to be
    moderated; a worker takes it up."""

    name: ClassVar[str] = "stream.created"
    fps: float

    def payload(self) -> dict[str, Any]:
        return self.base() | {"fps": self.fps}

    def audit_detail(self) -> dict[str, Any]:
        return {"fps": self.fps}


@dataclass(frozen=True, kw_only=True)
class StreamHeld(StreamEvent):
    """``stream.held``: worker ``worker`` took the stream up (its first worker, or one that
    took over from a worker whose lease ran out), at ``resume_ms`` of the stream."""

    name: ClassVar[str] = "stream.held"
    worker: str
    resume_ms: int | None

    def payload(self) -> dict[str, Any]:
        return self.base() | {"worker": self.worker, "resume_ms": self.resume_ms}

    def audit_detail(self) -> dict[str, Any]:
        return {"resume_ms": self.resume_ms}


@dataclass(frozen=True, kw_only=True)
class StreamSegmentStarted(StreamEvent):
    """``stream.segment.started`` (webhook): a label appeared; ``segment`` in Rekognition's
    segment shape (``StartTimestampMillis`` … ``ModerationLabel``), open so far; ``thumbnail``
    the blob key of the moment's picture."""

    name: ClassVar[str] = "stream.segment.started"
    segment: dict[str, Any]
    segment_id: str
    thumbnail: str | None = None

    def payload(self) -> dict[str, Any]:
        return self.base() | {
            "segment_id": self.segment_id,
            "segment": self.segment,
            "thumbnail": self.thumbnail,
        }

    def audit_detail(self) -> dict[str, Any]:
        return {"segment_id": self.segment_id, "label": self.segment["ModerationLabel"]["Name"]}


@dataclass(frozen=True, kw_only=True)
class StreamSegmentEnded(StreamSegmentStarted):
    """``stream.segment.ended`` (webhook): a label went away (no sample within the segment
    gap showed it) or the stream ended; ``segment`` is the closed segment."""

    name: ClassVar[str] = "stream.segment.ended"


@dataclass(frozen=True, kw_only=True)
class StreamAction(StreamEvent):
    """``stream.action`` (webhook): the active policy for the stream's context asks for
    ``action`` (``review``, ``block``, ``annotate``) at ``at_ms``, by ``rule``, once for each
    change of what it asks while labels are on screen; ``terminate`` when the stream was
    started to end on that action (``terminate_on``), and so ends. For ``review``,
    ``moderation_id`` is the moderation of the flagged moment (its picture, with the stream's
    context and ``stream_id``/``stream_ms`` in its metadata), which goes to the review lane."""

    name: ClassVar[str] = "stream.action"
    action: str
    rule: str
    at_ms: int
    reasons: tuple[str, ...] = ()
    policy_version: str | None = None

    def payload(self) -> dict[str, Any]:
        return self.base() | {
            "action": self.action,
            "rule": self.rule,
            "at_ms": self.at_ms,
            "reasons": list(self.reasons),
            "policy_version": self.policy_version,
            "moderation_id": self.moderation_id,
        }

    def audit_detail(self) -> dict[str, Any]:
        return {"action": self.action, "rule": self.rule, "at_ms": self.at_ms}


@dataclass(frozen=True, kw_only=True)
class StreamThumbnailRead(StreamEvent):
    """``stream.thumbnail_read``: API client ``actor`` was sent the clear (unblurred) picture
    that opened segment ``segment_id`` of the stream; recorded before it is sent."""

    name: ClassVar[str] = "stream.thumbnail_read"
    segment_id: str

    def payload(self) -> dict[str, Any]:
        return self.base() | {"segment_id": self.segment_id}

    def audit_detail(self) -> dict[str, Any]:
        return {"segment_id": self.segment_id}


@dataclass(frozen=True, kw_only=True)
class StreamEnded(StreamEvent):
    """``stream.ended`` (webhook): the stream is over: ``status`` ``ended`` (the source ended,
    was lost for good, or the longest duration passed), ``stopped`` (``actor`` stopped it) or
    ``failed`` (no picture could be read), with ``reason``."""

    name: ClassVar[str] = "stream.ended"
    status: str
    reason: str
    samples: int
    duration_ms: int | None

    def payload(self) -> dict[str, Any]:
        return self.base() | {
            "status": self.status,
            "reason": self.reason,
            "samples": self.samples,
            "duration_ms": self.duration_ms,
        }

    def audit_detail(self) -> dict[str, Any]:
        return {"status": self.status, "samples": self.samples}


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
