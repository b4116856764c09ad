"""The review lane as the pipeline sees it: ``SqlReviewLane`` opens a review for an item the
policy sent to review, withdraws open reviews of an item about to be decided again, and
summarises an item's review state for ``GET /v1/moderations/{id}``.

It implements the pipeline's ``ReviewLane`` protocol (``modgate.pipeline.review_lane``) by its
shape, without importing the pipeline. Every call works inside the caller's transaction, so the
review tasks are committed with the decision that asks for them, and each records its event in
that transaction. ``create_review`` is shared with escalations and appeals.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from modgate.db.base import new_id, utcnow
from modgate.events import ReviewCreated, record
from modgate.moderation.models import StoredModeration
from modgate.quality import CategoryFlag, QualitySampler
from modgate.quality.tables import QualityDrawRow
from modgate.review.models import PRIORITY_RANK
from modgate.review.settings import ReviewSettings
from modgate.review.tables import (
    AppealRow,
    ReviewExclusionRow,
    ReviewRow,
    ReviewTaskRow,
    ReviewVerdictRow,
)

Clock = Callable[[], dt.datetime]


class SqlReviewLane:
    """Reviews in the database, queued as ``settings`` say (strategies, SLAs, priority steps);
    ``clock`` stamps the reviews it opens."""

    def __init__(
        self, settings: ReviewSettings, clock: Clock = utcnow, rng: random.Random | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.sampler = QualitySampler(
            settings.qa_rates, settings.qa_category_rates, rng or random.SystemRandom()
        )

    def open(self, session: Session, moderation: StoredModeration) -> str:
        """Queue ``moderation`` for first-pass review, as its policy decision's route says;
        returns the review's id. Idempotent: an item that already has an open first-pass
        review keeps it."""
        existing = session.scalar(
            select(ReviewRow.id).where(
                ReviewRow.moderation_id == moderation.id,
                ReviewRow.kind == "first",
                ReviewRow.status == "open",
            )
        )
        if existing is not None:
            return existing
        decision = moderation.decision or {}
        route = decision.get("review") or {}
        priority = str(route.get("priority") or "normal")
        try:
            reviewers = min(3, max(1, int(route.get("reviewers") or 1)))
        except (TypeError, ValueError):
            reviewers = 1
        review = create_review(
            session,
            self.settings,
            moderation.id,
            kind="first",
            queue=str(route.get("queue") or "default")[:64],
            priority=priority if priority in PRIORITY_RANK else "normal",
            reviewers=reviewers,
            selected=selected_labels(decision),
            rule_id=decision.get("rule") or moderation.rule_id,
            policy_version=decision.get("policy_version") or moderation.policy_version,
            now=self.clock(),
        )
        return review.id

    def sample(
        self, session: Session, moderation: StoredModeration, flags: Sequence[CategoryFlag]
    ) -> str | None:
        """Draw an automatic decision for a blind quality check (``review.qa_rates``): a
        one-reviewer review in the ``qa`` queue that shows no machine decision and changes
        nothing when done; its inclusion probability is stored with it. The review's id, or
        None when the item was not drawn."""
        draw = self.sampler.draw(moderation.action, flags)
        if draw is None:
            return None
        now = self.clock()
        review = create_review(
            session,
            self.settings,
            moderation.id,
            kind="qa",
            queue=self.settings.qa_queue,
            priority="low",
            reviewers=1,
            selected=[],
            rule_id=None,
            policy_version=moderation.policy_version,
            now=now,
        )
        session.add(
            QualityDrawRow(
                moderation_id=moderation.id,
                review_id=review.id,
                tenant=moderation.tenant,
                action=str(moderation.action),
                category=draw.category[:128],
                bin=draw.bin,
                probability=draw.probability,
                flagged=list(draw.flagged),
                created_at=now,
            )
        )
        return review.id

    def withdraw(self, session: Session, moderation_id: str, now: dt.datetime) -> int:
        """See ``withdraw_open_reviews``."""
        return withdraw_open_reviews(session, moderation_id, now)

    def state(self, session: Session, moderation_id: str) -> dict[str, Any] | None:
        """See ``review_state``."""
        return review_state(session, moderation_id)


def selected_labels(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """The matches that made the policy ask for review (A2I's ``selectedAiServiceResponse``);
    every match when the review came from a default or an overall rule."""
    matched = [m for m in decision.get("matched") or [] if isinstance(m, dict) and m.get("label")]
    triggering = [m for m in matched if m.get("action") == "review"]
    return triggering or matched


def create_review(
    session: Session,
    settings: ReviewSettings,
    moderation_id: str,
    *,
    kind: str,
    queue: str,
    priority: str,
    reviewers: int,
    selected: list[dict[str, Any]],
    rule_id: str | None,
    policy_version: str | None,
    now: dt.datetime,
    excluded: Iterable[str] = (),
    parent_id: str | None = None,
    appeal_id: str | None = None,
    actor: str | None = None,
) -> ReviewRow:
    """A review with one task per reviewer slot, ordered by priority head start and age."""
    review = ReviewRow(
        id=new_id("rev"),
        moderation_id=moderation_id,
        kind=kind,
        queue=queue,
        priority=priority,
        status="open",
        reviewers_needed=reviewers,
        strategy=settings.strategy_for(queue),
        selected=selected,
        rule_id=rule_id,
        policy_version=policy_version,
        parent_id=parent_id,
        appeal_id=appeal_id,
        created_at=now,
        due_at=now + dt.timedelta(seconds=settings.sla_for(queue)),
    )
    session.add(review)
    session.flush()
    head_start = dt.timedelta(seconds=PRIORITY_RANK[priority] * settings.priority_step_seconds)
    for _slot in range(reviewers):
        session.add(
            ReviewTaskRow(
                id=new_id("tsk"),
                review_id=review.id,
                moderation_id=moderation_id,
                queue=queue,
                status="pending",
                sort_key=now - head_start,
                available_at=now,
                created_at=now,
                attempts=0,
            )
        )
    for user_id in sorted(set(excluded)):
        session.add(ReviewExclusionRow(review_id=review.id, user_id=user_id, reason="original"))
    record(
        session,
        ReviewCreated(
            moderation_id=moderation_id,
            actor=actor,
            review_id=review.id,
            kind=kind,
            queue=queue,
            priority=priority,
            reviewers=reviewers,
            due_at=review.due_at,
        ),
    )
    return review


def withdraw_open_reviews(session: Session, moderation_id: str, now: dt.datetime) -> int:
    """Withdraw the open reviews of ``moderation_id`` (its item is to be decided again, by a
    retried job): status ``withdrawn``, pending tasks cancelled, so no reviewer takes them up
    and one holding a claim is told the task is finished. Returns how many were open."""
    open_reviews = list(
        session.scalars(
            select(ReviewRow).where(
                ReviewRow.moderation_id == moderation_id, ReviewRow.status == "open"
            )
        )
    )
    for review in open_reviews:
        review.status, review.completed_at = "withdrawn", now
        for task in session.scalars(
            select(ReviewTaskRow).where(
                ReviewTaskRow.review_id == review.id, ReviewTaskRow.status == "pending"
            )
        ):
            task.status = "cancelled"
    return len(open_reviews)


def review_state(session: Session, moderation_id: str) -> dict[str, Any] | None:
    """Review status of one moderation for the API, or None if it never went to review.
    Blind quality checks are not shown: they change nothing the client sees."""
    reviews = list(
        session.scalars(
            select(ReviewRow)
            .where(ReviewRow.moderation_id == moderation_id, ReviewRow.kind != "qa")
            .order_by(ReviewRow.created_at, ReviewRow.id)
        )
    )
    if not reviews:
        return None
    latest = reviews[-1]
    tasks = list(
        session.scalars(
            select(ReviewTaskRow)
            .where(ReviewTaskRow.review_id == latest.id)
            .order_by(ReviewTaskRow.id)
        )
    )
    verdicts = list(
        session.scalars(
            select(ReviewVerdictRow).where(ReviewVerdictRow.moderation_id == moderation_id)
        )
    )
    appeal = session.scalars(
        select(AppealRow).where(AppealRow.moderation_id == moderation_id)
    ).first()
    status = latest.status
    if status == "open":
        status = (
            "in_review"
            if any(t.claimed_by for t in tasks) or any(t.status == "done" for t in tasks)
            else "queued"
        )
    done_reviews = {r.id for r in reviews if r.status != "open"}
    return {
        "status": status,
        "kind": latest.kind,
        "queue": latest.queue,
        "priority": latest.priority,
        "due_at": latest.due_at.isoformat(),
        "tasks": [
            {"id": t.id, "status": t.status, "claimed": t.claimed_by is not None} for t in tasks
        ],
        "verdicts": {
            "submitted": sum(1 for v in verdicts if v.review_id == latest.id),
            "needed": latest.reviewers_needed,
            # Actions are shown only for finished reviews: open ones stay blind.
            "actions": dict(Counter(v.action for v in verdicts if v.review_id in done_reviews)),
        },
        "reviews": [
            {
                "id": r.id,
                "kind": r.kind,
                "queue": r.queue,
                "status": r.status,
                "created_at": r.created_at.isoformat(),
                "completed_at": r.completed_at.isoformat() if r.completed_at else None,
            }
            for r in reviews
        ],
        "appeal": appeal_public(appeal) if appeal else None,
    }


def appeal_public(appeal: AppealRow) -> dict[str, Any]:
    return {
        "id": appeal.id,
        "moderation_id": appeal.moderation_id,
        "status": appeal.status,
        "statement": appeal.statement,
        "appellant": appeal.appellant,
        "previous_action": appeal.previous_action,
        "outcome": appeal.outcome,
        "final_action": appeal.final_action,
        "created_at": appeal.created_at.isoformat(),
        "resolved_at": appeal.resolved_at.isoformat() if appeal.resolved_at else None,
    }
