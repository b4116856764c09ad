"""Events of live streams (no moderation, a tenant): a stream created, held, its segments
started and ended, an action taken on it, a thumbnail read, and its end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from modgate.events.models.base import Event


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
