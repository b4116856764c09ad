"""What a review does once every slot has answered, in the transaction of the last verdict:
a first review consolidated into the moderation's verdict and final action, or escalated to the
senior queue on a tie; an escalation decided by the senior's verdict; an appeal upheld or
overturned; a blind quality check kept beside the decision it checked. Each records its event
and counts the finished review once the transaction commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from modgate.errors import ResourceNotFoundException
from modgate.events import AppealResolved, QualityChecked, ReviewCompleted, ReviewEscalated, record
from modgate.moderation.models import ModerationRecord
from modgate.moderation.public import moderation_summary
from modgate.moderation.store import ModerationStore
from modgate.quality.record import record_check
from modgate.quality.sampling import top_category
from modgate.quality.tables import DecisionCategoryRow, QualityDrawRow
from modgate.review.consolidation import Consolidated, Vote, consolidate
from modgate.review.lane import create_review
from modgate.review.settings import ReviewSettings
from modgate.review.tables import AppealRow, ReviewDisagreementRow, ReviewRow, ReviewVerdictRow
from modgate.telemetry import after_commit, instruments


def verdicts_of(session: Session, review_id: str) -> list[ReviewVerdictRow]:
    """The verdicts given on a review, in the order they came."""
    return list(
        session.scalars(
            select(ReviewVerdictRow)
            .where(ReviewVerdictRow.review_id == review_id)
            .order_by(ReviewVerdictRow.created_at, ReviewVerdictRow.id)
        )
    )


def _votes(rows: Sequence[ReviewVerdictRow]) -> list[Vote]:
    return [
        Vote(r.reviewer_id, r.action, {k: bool(v) for k, v in r.labels.items()}, tuple(r.missed))
        for r in rows
    ]


def finish_review(
    session: Session,
    review: ReviewRow,
    verdicts: list[ReviewVerdictRow],
    now: dt.datetime,
    settings: ReviewSettings,
    actor: str,
    moderations: ModerationStore,
) -> dict[str, Any]:
    moderation = moderations.get(session, review.moderation_id)
    if moderation is None:
        raise ResourceNotFoundException(f"No moderation {review.moderation_id!r}.")
    if review.kind == "appeal":
        return _resolve_appeal(session, moderations, review, moderation, verdicts, now, actor)
    if review.kind == "qa":
        return _quality_checked(session, review, moderation, verdicts, now, actor)
    if review.kind == "escalation":
        parent = session.get(ReviewRow, review.parent_id) if review.parent_id else None
        strategy = parent.strategy if parent else review.strategy
        earlier = verdicts_of(session, parent.id) if parent else []
        outcome = consolidate(_votes(verdicts), "majority")
        return _decide(
            session,
            moderations,
            review,
            moderation,
            outcome,
            len(earlier) + len(verdicts),
            strategy,
            now,
            actor,
            escalated=True,
        )
    outcome = consolidate(_votes(verdicts), review.strategy)
    if len(verdicts) > 1:
        for category, disagreed in outcome.disagreements.items():
            session.add(
                ReviewDisagreementRow(
                    review_id=review.id,
                    category=category[:128],
                    moderation_id=moderation.id,
                    reviewers=len(verdicts),
                    disagreed=disagreed,
                    created_at=now,
                )
            )
    if outcome.action is None:
        return _escalate(session, review, outcome, verdicts, now, settings, actor)
    return _decide(
        session,
        moderations,
        review,
        moderation,
        outcome,
        len(verdicts),
        review.strategy,
        now,
        actor,
        escalated=False,
    )


def _counted(session: Session, review: ReviewRow, outcome: str, now: dt.datetime) -> None:
    """Count a finished review (``modgate_reviews_total``, its time in the queue) once the
    transaction commits."""
    waited = max((now - review.created_at).total_seconds(), 0.0)

    def _count() -> None:
        meters = instruments()
        meters.reviews.labels(outcome).inc()
        meters.review_seconds.observe(waited)

    after_commit(session, _count)


def _quality_checked(
    session: Session,
    review: ReviewRow,
    moderation: ModerationRecord,
    verdicts: list[ReviewVerdictRow],
    now: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """A blind quality check is done: its outcome is kept on the review; the moderation's
    decision stands."""
    outcome = consolidate(_votes(verdicts), "majority")
    review.status, review.outcome, review.completed_at = "decided", outcome.to_dict(), now
    draw = session.scalars(
        select(QualityDrawRow).where(QualityDrawRow.review_id == review.id)
    ).first()
    if draw is not None:
        record_check(
            session,
            moderation,
            outcome=outcome.to_dict(),
            flagged=draw.flagged,
            probability=draw.probability,
            stratum=f"{draw.category}/{draw.bin}",
        )
    record(
        session,
        QualityChecked(
            moderation_id=moderation.id,
            actor=actor,
            review_id=review.id,
            machine_action=moderation.action,
            outcome=outcome.to_dict(),
        ),
    )
    _counted(session, review, outcome.action or "escalated", now)
    return {"status": "checked", "machine_action": moderation.action, "found": outcome.to_dict()}


def _decide(
    session: Session,
    moderations: ModerationStore,
    review: ReviewRow,
    moderation: ModerationRecord,
    outcome: Consolidated,
    reviewers: int,
    strategy: str,
    now: dt.datetime,
    actor: str,
    escalated: bool,
) -> dict[str, Any]:
    verdict = {
        "action": outcome.action,
        "labels": outcome.labels,
        "missed": outcome.missed,
        "reviewers": reviewers,
        "strategy": strategy,
        "escalated": escalated,
    }
    decided = moderations.record_verdict(session, moderation.id, verdict, outcome.action, now)
    review.status, review.outcome, review.completed_at = "decided", outcome.to_dict(), now
    _counted(session, review, str(outcome.action), now)
    flagged = session.scalars(
        select(DecisionCategoryRow.category).where(
            DecisionCategoryRow.moderation_id == moderation.id, DecisionCategoryRow.flagged
        )
    ).all()
    selected = {top_category(str(m["label"])) for m in review.selected if m.get("label")}
    record_check(session, moderation, outcome=outcome.to_dict(), flagged=flagged or selected)
    record(
        session,
        ReviewCompleted(
            moderation_id=moderation.id,
            actor=actor,
            moderation=moderation_summary(decided),
            review_id=review.id,
            verdict=verdict,
        ),
    )
    return {"status": "decided", "final_action": outcome.action, "verdict": verdict}


def _escalate(
    session: Session,
    review: ReviewRow,
    outcome: Consolidated,
    verdicts: list[ReviewVerdictRow],
    now: dt.datetime,
    settings: ReviewSettings,
    actor: str,
) -> dict[str, Any]:
    review.status, review.outcome, review.completed_at = "escalated", outcome.to_dict(), now
    _counted(session, review, "escalated", now)
    priority = review.priority if review.priority in ("high", "urgent") else "high"
    senior = create_review(
        session,
        settings,
        review.moderation_id,
        kind="escalation",
        queue=settings.senior_queue,
        priority=priority,
        reviewers=1,
        selected=list(review.selected),
        rule_id=review.rule_id,
        policy_version=review.policy_version,
        now=now,
        excluded=[v.reviewer_id for v in verdicts],
        parent_id=review.id,
        actor=actor,
    )
    record(
        session,
        ReviewEscalated(
            moderation_id=review.moderation_id,
            actor=actor,
            review_id=review.id,
            escalation_id=senior.id,
            reason=outcome.reason,
            disagreements=[k for k, v in outcome.disagreements.items() if v],
        ),
    )
    return {"status": "escalated", "escalation_id": senior.id, "reason": outcome.reason}


def _resolve_appeal(
    session: Session,
    moderations: ModerationStore,
    review: ReviewRow,
    moderation: ModerationRecord,
    verdicts: list[ReviewVerdictRow],
    now: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    appeal = session.get(AppealRow, review.appeal_id) if review.appeal_id else None
    if appeal is None:
        raise ResourceNotFoundException("The appeal of this review is missing.")
    outcome = consolidate(_votes(verdicts), "majority")
    action = outcome.action or appeal.previous_action or moderation.final_action
    result = "upheld" if action == appeal.previous_action else "overturned"
    appeal.status, appeal.outcome, appeal.final_action, appeal.resolved_at = (
        "resolved",
        result,
        action,
        now,
    )
    review.status, review.outcome, review.completed_at = "decided", outcome.to_dict(), now
    _counted(session, review, str(action), now)
    after_commit(session, lambda: instruments().appeals.labels(result).inc())
    verdict = dict(moderation.verdict or {})
    verdict["appeal"] = {
        "id": appeal.id,
        "outcome": result,
        "action": action,
        "previous_action": appeal.previous_action,
    }
    decided = moderations.record_verdict(session, moderation.id, verdict, action, now)
    event = AppealResolved(
        moderation_id=moderation.id,
        actor=actor,
        moderation=moderation_summary(decided),
        appeal_id=appeal.id,
        review_id=review.id,
        outcome=result,
        previous_action=appeal.previous_action,
        final_action=action,
        labels=outcome.labels,
        missed=outcome.missed,
    )
    record(session, event)
    return {"status": "decided", "final_action": action, "appeal": event.resolution()}
