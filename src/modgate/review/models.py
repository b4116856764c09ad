"""Plain types of the review lane: who reviews, what they claimed, what they decided."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
VERDICT_ACTIONS = ("allow", "annotate", "block")


@dataclass(frozen=True, slots=True)
class QueueScope:
    """Which queues a reviewer may take work from: ``include`` (None = every queue) minus
    ``exclude``."""

    include: frozenset[str] | None = None
    exclude: frozenset[str] = frozenset()

    def allows(self, queue: str) -> bool:
        if queue in self.exclude:
            return False
        return self.include is None or queue in self.include

    def narrowed(self, queue: str | None) -> QueueScope:
        if queue is None:
            return self
        return QueueScope(frozenset({queue}) if self.allows(queue) else frozenset(), self.exclude)


@dataclass(frozen=True, slots=True)
class Reviewer:
    id: str
    name: str
    queues: tuple[str, ...] = ()  # assigned first-pass queues; "*" = all of them
    senior: bool = False


@dataclass(frozen=True, slots=True)
class ClaimedTask:
    task_id: str
    review_id: str
    moderation_id: str
    queue: str
    reviewer_id: str
    lease_expires_at: dt.datetime

    def to_public(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "review_id": self.review_id,
            "moderation_id": self.moderation_id,
            "queue": self.queue,
            "lease_expires_at": self.lease_expires_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class VerdictInput:
    """What a reviewer decided: the final action, whether each flagged label was right, the
    labels the model missed, and how long they spent."""

    action: str
    labels: dict[str, bool] = field(default_factory=dict)
    missed: tuple[str, ...] = ()
    note: str = ""
    seconds_spent: float = 0.0


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue: str
    depth: int
    in_progress: int
    oldest_age_seconds: float | None
    sla_seconds: int
    overdue: int

    def to_public(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "depth": self.depth,
            "in_progress": self.in_progress,
            "oldest_age_seconds": self.oldest_age_seconds,
            "sla_seconds": self.sla_seconds,
            "overdue": self.overdue,
        }
