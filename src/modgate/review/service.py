"""Use cases of the review lane: what the console, the API and the CLI call — claims, verdicts,
appeals, queue figures, an item's review state. Every state change records its event in the
same transaction.

``ReviewService`` is built by the composition root from sessions, the ``ReviewSettings`` and
(optionally) its stores; nothing here reads settings on its own. Its ``lane`` (a
``SqlReviewLane`` with the same settings and clock) is what the pipeline is handed as its
``ReviewLane``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import transaction, utcnow
from modgate.moderation.store import ModerationStore, SqlModerationStore
from modgate.review.appeals import create_appeal
from modgate.review.decide import submit_verdict
from modgate.review.lane import SqlReviewLane, appeal_public
from modgate.review.models import ClaimedTask, QueueScope, QueueStats, Reviewer, VerdictInput
from modgate.review.settings import ReviewSettings
from modgate.review.store import ReviewStore, SqlReviewStore
from modgate.review.tables import ReviewTaskRow

Clock = Callable[[], dt.datetime]

__all__ = ["ReviewService"]


class ReviewService:
    """Review use cases over the database, with an injected clock. ``store`` (claims) and
    ``moderations`` (the moderation record) default to their SQL implementations on
    ``sessions``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: ReviewSettings,
        clock: Clock = utcnow,
        *,
        store: ReviewStore | None = None,
        moderations: ModerationStore | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.store: ReviewStore = store if store is not None else SqlReviewStore(sessions)
        self.moderations: ModerationStore = (
            moderations if moderations is not None else SqlModerationStore()
        )
        self.lane = SqlReviewLane(settings, clock)

    def transaction(self, immediate: bool = True) -> AbstractContextManager[Session]:
        """A write transaction (on SQLite it holds the write lock from the start);
        ``immediate`` is accepted for readability."""
        return transaction(self.sessions, immediate)

    def scope_for(self, reviewer: Reviewer) -> QueueScope:
        special = frozenset({self.settings.senior_queue, self.settings.appeals_queue})
        assigned = frozenset(reviewer.queues)
        if reviewer.senior:
            if "*" in assigned:
                return QueueScope(None)
            return QueueScope(assigned | special)
        if "*" in assigned:
            return QueueScope(None, special)
        return QueueScope(assigned - special)

    def claim_next(self, reviewer: Reviewer, queue: str | None = None) -> ClaimedTask | None:
        scope = self.scope_for(reviewer).narrowed(queue)
        return self.store.claim_next(reviewer.id, scope, self.clock(), self.settings.lease_seconds)

    def release(self, task_id: str, reviewer: Reviewer) -> None:
        self.store.release(task_id, reviewer.id, self.clock())

    def skip(self, task_id: str, reviewer: Reviewer) -> None:
        self.store.skip(task_id, reviewer.id, self.clock())

    def queue_stats(self, scope: QueueScope | None = None) -> list[QueueStats]:
        return self.store.queue_stats(
            scope or QueueScope(None), self.clock(), self.settings.sla_for
        )

    def current_claim(self, reviewer: Reviewer) -> str | None:
        """The task this reviewer holds under a live lease, if any."""
        with self.sessions() as session:
            return session.scalar(
                select(ReviewTaskRow.id)
                .where(
                    ReviewTaskRow.claimed_by == reviewer.id,
                    ReviewTaskRow.status == "pending",
                    ReviewTaskRow.available_at > self.clock(),
                )
                .limit(1)
            )

    def submit_verdict(
        self, task_id: str, reviewer: Reviewer, verdict: VerdictInput
    ) -> dict[str, Any]:
        with self.transaction(immediate=True) as session:
            return submit_verdict(
                session,
                task_id,
                reviewer.id,
                verdict,
                self.clock(),
                self.settings,
                self.moderations,
            )

    def appeal(
        self,
        moderation_id: str,
        statement: str,
        appellant: str | None = None,
        actor: str | None = None,
        tenant: str | None = None,
    ) -> dict[str, Any]:
        with self.transaction(immediate=True) as session:
            row = create_appeal(
                session,
                self.settings,
                self.moderations,
                moderation_id,
                statement,
                appellant,
                self.clock(),
                actor,
                tenant,
            )
            return appeal_public(row)

    def state(self, moderation_id: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            return self.lane.state(session, moderation_id)
