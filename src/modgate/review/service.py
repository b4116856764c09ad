"""Use cases of the review lane, and the two entry points the pipeline calls.

``open_review(session, moderation_row)`` queues an item the policy sent to review, inside the
pipeline's transaction; ``review_state(session, moderation_id)`` summarises it for
``GET /v1/moderations/{id}``. ``ReviewService`` is what the console, the API and the CLI use:
claims, verdicts, appeals, queue figures, reveals. Every state change records its event in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import new_id, utcnow
from modgate.events import REVIEW_CREATED, record_event
from modgate.pipeline.tables import ModerationRow
from modgate.review.models import PRIORITY_RANK, ClaimedTask, QueueScope, QueueStats, Reviewer
from modgate.review.settings import ReviewSettings
from modgate.review.store import SqlReviewStore
from modgate.review.tables import (
    AppealRow,
    ReviewExclusionRow,
    ReviewRow,
    ReviewTaskRow,
    ReviewVerdictRow,
)

Clock = Callable[[], dt.datetime]
SETTINGS_INFO_KEY = "modgate.review_settings"


@functools.lru_cache(maxsize=1)
def _configured_settings() -> ReviewSettings:
    from modgate.settings import load_settings

    return load_settings().review


def settings_for(session: Session, settings: ReviewSettings | None = None) -> ReviewSettings:
    """Explicit settings, else those the composition root put on the session, else the
    environment's."""
    if settings is not None:
        return settings
    found = session.info.get(SETTINGS_INFO_KEY)
    return found if isinstance(found, ReviewSettings) else _configured_settings()


def selected_labels(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """The matches that made the policy ask for review (A2I's ``selectedAiServiceResponse``);
    every match when the review came from a default or an overall rule."""
    matched = [m for m in decision.get("matched") or [] if isinstance(m, dict) and m.get("label")]
    triggering = [m for m in matched if m.get("action") == "review"]
    return triggering or matched


def open_review(session: Session, moderation_row: ModerationRow,
                settings: ReviewSettings | None = None, clock: Clock = utcnow) -> ReviewRow:
    """Queue ``moderation_row`` for first-pass review, as its policy decision's route says.

    Idempotent: an item that already has an open first-pass review keeps it.
    """
    existing = session.scalars(select(ReviewRow).where(
        ReviewRow.moderation_id == moderation_row.id, ReviewRow.kind == "first",
        ReviewRow.status == "open")).first()
    if existing is not None:
        return existing
    decision = moderation_row.decision or {}
    route = decision.get("review") or {}
    priority = str(route.get("priority") or "normal")
    try:
        reviewers = min(3, max(1, int(route.get("reviewers") or 1)))
    except (TypeError, ValueError):
        reviewers = 1
    return create_review(
        session, settings_for(session, settings), moderation_row.id, kind="first",
        queue=str(route.get("queue") or "default")[:64],
        priority=priority if priority in PRIORITY_RANK else "normal",
        reviewers=reviewers, selected=selected_labels(decision),
        rule_id=decision.get("rule") or moderation_row.rule_id,
        policy_version=decision.get("policy_version") or moderation_row.policy_version,
        now=clock())


def withdraw_open_reviews(session: Session, moderation_id: str, now: dt.datetime) -> int:
    """Withdraw the open reviews of ``moderation_id`` (its item is to be decided again, by a
    retried job): status ``withdrawn``, pending tasks cancelled, so no reviewer takes them up
    and one holding a claim is told the task is finished. Returns how many were open."""
    open_reviews = list(session.scalars(select(ReviewRow).where(
        ReviewRow.moderation_id == moderation_id, ReviewRow.status == "open")))
    for review in open_reviews:
        review.status, review.completed_at = "withdrawn", now
        for task in session.scalars(select(ReviewTaskRow).where(
                ReviewTaskRow.review_id == review.id, ReviewTaskRow.status == "pending")):
            task.status = "cancelled"
    return len(open_reviews)


def create_review(session: Session, settings: ReviewSettings, moderation_id: str, *, kind: str,
                  queue: str, priority: str, reviewers: int, selected: list[dict[str, Any]],
                  rule_id: str | None, policy_version: str | None, now: dt.datetime,
                  excluded: Iterable[str] = (), parent_id: str | None = None,
                  appeal_id: str | None = None, actor: str | None = None) -> ReviewRow:
    """A review with one task per reviewer slot, ordered by priority head start and age."""
    review = ReviewRow(
        id=new_id("rev"), moderation_id=moderation_id, kind=kind, queue=queue, priority=priority,
        status="open", reviewers_needed=reviewers, strategy=settings.strategy_for(queue),
        selected=selected, rule_id=rule_id, policy_version=policy_version, parent_id=parent_id,
        appeal_id=appeal_id, created_at=now,
        due_at=now + dt.timedelta(seconds=settings.sla_for(queue)))
    session.add(review)
    session.flush()
    head_start = dt.timedelta(seconds=PRIORITY_RANK[priority] * settings.priority_step_seconds)
    for _slot in range(reviewers):
        session.add(ReviewTaskRow(
            id=new_id("tsk"), review_id=review.id, moderation_id=moderation_id, queue=queue,
            status="pending", sort_key=now - head_start, available_at=now, created_at=now,
            attempts=0))
    for user_id in sorted(set(excluded)):
        session.add(ReviewExclusionRow(review_id=review.id, user_id=user_id, reason="original"))
    record_event(session, REVIEW_CREATED, moderation_id, {
        "review_id": review.id, "kind": kind, "queue": queue, "priority": priority,
        "reviewers": reviewers, "due_at": review.due_at.isoformat()}, actor)
    return review


def review_state(session: Session, moderation_id: str) -> dict[str, Any] | None:
    """Review status of one moderation for the API, or None if it never went to review."""
    reviews = list(session.scalars(select(ReviewRow).where(
        ReviewRow.moderation_id == moderation_id).order_by(ReviewRow.created_at, ReviewRow.id)))
    if not reviews:
        return None
    latest = reviews[-1]
    tasks = list(session.scalars(select(ReviewTaskRow).where(
        ReviewTaskRow.review_id == latest.id).order_by(ReviewTaskRow.id)))
    verdicts = list(session.scalars(select(ReviewVerdictRow).where(
        ReviewVerdictRow.moderation_id == moderation_id)))
    appeal = session.scalars(select(AppealRow).where(
        AppealRow.moderation_id == moderation_id)).first()
    status = latest.status
    if status == "open":
        status = "in_review" if any(t.claimed_by for t in tasks) or any(
            t.status == "done" for t in tasks) else "queued"
    done_reviews = {r.id for r in reviews if r.status != "open"}
    return {
        "status": status,
        "kind": latest.kind,
        "queue": latest.queue,
        "priority": latest.priority,
        "due_at": latest.due_at.isoformat(),
        "tasks": [{"id": t.id, "status": t.status, "claimed": t.claimed_by is not None}
                  for t in tasks],
        "verdicts": {
            "submitted": sum(1 for v in verdicts if v.review_id == latest.id),
            "needed": latest.reviewers_needed,
            # Actions are shown only for finished reviews: open ones stay blind.
            "actions": dict(Counter(v.action for v in verdicts if v.review_id in done_reviews)),
        },
        "reviews": [{"id": r.id, "kind": r.kind, "queue": r.queue, "status": r.status,
                     "created_at": r.created_at.isoformat(),
                     "completed_at": r.completed_at.isoformat() if r.completed_at else None}
                    for r in reviews],
        "appeal": appeal_public(appeal) if appeal else None,
    }


def appeal_public(appeal: AppealRow) -> dict[str, Any]:
    return {"id": appeal.id, "moderation_id": appeal.moderation_id, "status": appeal.status,
            "statement": appeal.statement, "appellant": appeal.appellant,
            "previous_action": appeal.previous_action, "outcome": appeal.outcome,
            "final_action": appeal.final_action, "created_at": appeal.created_at.isoformat(),
            "resolved_at": appeal.resolved_at.isoformat() if appeal.resolved_at else None}


class ReviewService:
    """Review use cases over the database, with an injected clock."""

    def __init__(self, sessions: sessionmaker[Session], settings: ReviewSettings,
                 clock: Clock = utcnow) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.store = SqlReviewStore(sessions)

    def transaction(self, immediate: bool = True) -> Any:
        """A write transaction (on SQLite it holds the write lock from the start) whose
        session carries the review settings; ``immediate`` is accepted for readability."""
        from contextlib import contextmanager

        @contextmanager
        def scope():  # type: ignore[no-untyped-def]
            with self.sessions() as session, session.begin():
                session.info[SETTINGS_INFO_KEY] = self.settings
                yield session

        return scope()

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
        return self.store.queue_stats(scope or QueueScope(None), self.clock(),
                                      self.settings.sla_for)

    def current_claim(self, reviewer: Reviewer) -> str | None:
        """The task this reviewer holds under a live lease, if any."""
        with self.sessions() as session:
            return session.scalar(select(ReviewTaskRow.id).where(
                ReviewTaskRow.claimed_by == reviewer.id, ReviewTaskRow.status == "pending",
                ReviewTaskRow.available_at > self.clock()).limit(1))

    def submit_verdict(self, task_id: str, reviewer: Reviewer, verdict: Any) -> dict[str, Any]:
        from modgate.review.decide import submit_verdict

        with self.transaction(immediate=True) as session:
            return submit_verdict(session, task_id, reviewer.id, verdict, self.clock(),
                                  self.settings)

    def appeal(self, moderation_id: str, statement: str,
               appellant: str | None = None, actor: str | None = None) -> dict[str, Any]:
        from modgate.review.appeals import create_appeal

        with self.transaction(immediate=True) as session:
            row = create_appeal(session, self.settings, moderation_id, statement, appellant,
                                self.clock(), actor)
            return appeal_public(row)

    def state(self, moderation_id: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            return review_state(session, moderation_id)


def review_service(services: Any) -> ReviewService:
    """The process's ``ReviewService``, built on first use from the composition root."""
    found = services.extras.get("review")
    if found is None:
        found = ReviewService(services.sessions, services.settings.review)
        services.extras["review"] = found
    return found  # type: ignore[no-any-return]
