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

from modgate.audit import user_actor
from modgate.banks.service import BankService
from modgate.db.base import transaction, utcnow
from modgate.errors import ResourceNotFoundException
from modgate.moderation.store import ModerationStore, SqlModerationStore
from modgate.review.appeals import create_appeal
from modgate.review.decide import submit_verdict
from modgate.review.lane import SqlReviewLane, appeal_public
from modgate.review.models import ClaimedTask, QueueScope, QueueStats, Reviewer, VerdictInput
from modgate.review.settings import ReviewSettings
from modgate.review.store import ReviewStore, SqlReviewStore, owned_task
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
        banks: BankService | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.store: ReviewStore = store if store is not None else SqlReviewStore(sessions)
        self.moderations: ModerationStore = (
            moderations if moderations is not None else SqlModerationStore()
        )
        self.lane = SqlReviewLane(settings, clock)
        self.banks = banks

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
        self,
        task_id: str,
        reviewer: Reviewer,
        verdict: VerdictInput,
        add_to_bank: str | None = None,
    ) -> dict[str, Any]:
        """Record the verdict. ``add_to_bank``: with a ``block``, the item's media goes into
        that hash bank of its tenant, in the verdict's transaction (a bank that does not exist
        refuses the verdict too). A verdict that overturns an appeal takes out of the banks
        whatever was banked from the item."""
        actor = user_actor(reviewer.id)
        banked = None
        if add_to_bank and verdict.action == "block" and self.banks is not None:
            moderation_id, tenant = self._item_of(task_id, reviewer)
            banked = (tenant, self.banks.verdict_content(tenant, add_to_bank, moderation_id))
        with self.transaction(immediate=True) as session:
            result = submit_verdict(
                session,
                task_id,
                reviewer.id,
                verdict,
                self.clock(),
                self.settings,
                self.moderations,
            )
            if banked is not None and self.banks is not None and add_to_bank:
                content = self.banks.bank_in(session, banked[0], add_to_bank, banked[1], actor)
                result["banked"] = {"bank": add_to_bank, "content_id": content.id}
            appeal = result.get("appeal") or {}
            if appeal.get("outcome") == "overturned" and self.banks is not None:
                moderation = self.moderations.get(session, result["moderation_id"])
                if moderation is not None:
                    removed = self.banks.unbank_in(session, moderation.tenant, moderation.id, actor)
                    result["unbanked"] = removed
        if self.banks is not None and (result.get("banked") or result.get("unbanked")):
            self.banks.index.refresh()
        return result

    def _item_of(self, task_id: str, reviewer: Reviewer) -> tuple[str, str]:
        """The moderation a reviewer's task is about, and its tenant."""
        with self.sessions() as session:
            task = owned_task(session, task_id, reviewer.id, lock=False)
            moderation = self.moderations.get(session, task.moderation_id)
        if moderation is None:
            raise ResourceNotFoundException("The item of this task is missing.")
        return moderation.id, moderation.tenant

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
