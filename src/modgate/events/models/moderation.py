"""Events of a moderation's processing and of its media: the moderation created and completed,
clear pixels sent to an API client, an operator's cancel or retry of its job, and the end of a
video job started through Rekognition's API with a notification channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from modgate.events.models.base import Event, decision_facts


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
        return decision_facts(self.moderation)


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
