"""Events of human review: a review created, escalated and completed, a reviewer's verdict and
clear preview, a blind quality check, and an appeal created and resolved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from modgate.events.models.base import Event, decision_facts


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
        return decision_facts(self.moderation) | {"review_id": self.review_id} | facts


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
        return decision_facts(self.moderation) | resolution


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
