"""From verdicts to decisions: recording one reviewer's verdict, consolidating a review once
every slot has answered, escalating ties to the senior queue, resolving appeals.

Runs inside one transaction: the verdict, the moderation's ``verdict``/``final_action`` and the
``review.completed`` / ``appeal.resolved`` event are committed together or not at all. The review
row is locked first so two last verdicts arriving together consolidate exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from modgate import audit
from modgate.db.base import new_id
from modgate.db.dialect import for_update
from modgate.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
    UnknownLabelException,
)
from modgate.events import (
    AppealResolved,
    QualityChecked,
    ReviewCompleted,
    ReviewEscalated,
    ReviewVerdictSubmitted,
    record,
)
from modgate.moderation.models import ModerationRecord
from modgate.moderation.public import moderation_summary
from modgate.moderation.store import ModerationStore
from modgate.quality.record import record_check, record_verdict
from modgate.quality.sampling import top_category
from modgate.quality.tables import DecisionCategoryRow, QualityDrawRow
from modgate.review.consolidation import Consolidated, Vote, consolidate
from modgate.review.lane import create_review
from modgate.review.models import VERDICT_ACTIONS, VerdictInput
from modgate.review.settings import ReviewSettings
from modgate.review.store import owned_task
from modgate.review.tables import (
    AppealRow,
    ReviewDisagreementRow,
    ReviewRow,
    ReviewVerdictRow,
)
from modgate.taxonomy import taxonomy_v7
from modgate.telemetry import after_commit, instruments

MAX_NOTE = 2000
MAX_SECONDS = 24 * 3600.0


def validate_verdict(verdict: VerdictInput, selected: Sequence[dict[str, Any]]) -> VerdictInput:
    """Refuse a verdict that does not answer the question asked, with a message saying why."""
    if verdict.action not in VERDICT_ACTIONS:
        raise InvalidParameterException(
            f"action must be one of {', '.join(VERDICT_ACTIONS)} (got {verdict.action!r})."
        )
    flagged = [str(m["label"]) for m in selected]
    unknown = sorted(set(verdict.labels) - set(flagged))
    if unknown:
        raise InvalidParameterException(
            f"Only the flagged labels can be judged; not flagged: {', '.join(unknown)}."
        )
    missing = [name for name in flagged if name not in verdict.labels]
    if missing:
        raise InvalidParameterException(
            f"Say whether each flagged label was right; missing: {', '.join(missing)}."
        )
    taxonomy = taxonomy_v7()
    missed: list[str] = []
    for name in verdict.missed:
        if name not in taxonomy:
            hint = taxonomy.suggest(name)
            raise UnknownLabelException(
                f"{name!r} is not a moderation label"
                + (f"; did you mean {hint[0]!r}?" if hint else ".")
            )
        canonical = taxonomy.canonical(name)
        if canonical not in flagged and canonical not in missed:
            missed.append(canonical)
    if len(verdict.note) > MAX_NOTE:
        raise InvalidParameterException(f"The note is longer than {MAX_NOTE} characters.")
    seconds = min(max(float(verdict.seconds_spent or 0.0), 0.0), MAX_SECONDS)
    return VerdictInput(verdict.action, dict(verdict.labels), tuple(missed), verdict.note, seconds)


def _locked_review(session: Session, review_id: str) -> ReviewRow:
    query = for_update(select(ReviewRow).where(ReviewRow.id == review_id), session)
    review = session.scalars(query).first()
    if review is None:
        raise ResourceNotFoundException(f"No review {review_id!r}.")
    return review


def submit_verdict(
    session: Session,
    task_id: str,
    reviewer_id: str,
    verdict: VerdictInput,
    now: dt.datetime,
    settings: ReviewSettings,
    moderations: ModerationStore,
) -> dict[str, Any]:
    task = owned_task(session, task_id, reviewer_id, now=now)
    review = _locked_review(session, task.review_id)
    clean = validate_verdict(verdict, review.selected)
    verdict_id = new_id("vrd")
    actor = audit.user_actor(reviewer_id)
    session.add(
        ReviewVerdictRow(
            id=verdict_id,
            task_id=task.id,
            review_id=review.id,
            moderation_id=review.moderation_id,
            reviewer_id=reviewer_id,
            action=clean.action,
            labels=clean.labels,
            missed=list(clean.missed),
            note=clean.note,
            seconds_spent=clean.seconds_spent,
            created_at=now,
        )
    )
    task.status, task.completed_at = "done", now
    moderation = moderations.get(session, review.moderation_id)
    if moderation is not None:
        record_verdict(
            session,
            moderation,
            verdict_id=verdict_id,
            review_id=review.id,
            queue=review.queue,
            kind=review.kind,
            action=clean.action,
            labels=clean.labels,
            missed=clean.missed,
            claimed_at=task.claimed_at,
            given_at=now,
        )
    if task.claimed_at is not None:
        handled = max((now - task.claimed_at).total_seconds(), 0.0)
        after_commit(session, lambda: instruments().handling_seconds.observe(handled))
    session.flush()
    record(
        session,
        ReviewVerdictSubmitted(
            moderation_id=review.moderation_id,
            actor=actor,
            verdict_id=verdict_id,
            task_id=task.id,
            review_id=review.id,
            action=clean.action,
            labels=clean.labels,
            missed=clean.missed,
        ),
    )
    verdicts = _verdicts(session, review.id)
    result: dict[str, Any] = {
        "review_id": review.id,
        "moderation_id": review.moderation_id,
        "submitted": len(verdicts),
        "needed": review.reviewers_needed,
    }
    if len(verdicts) < review.reviewers_needed:
        return result | {"status": "waiting"}
    return result | finish_review(session, review, verdicts, now, settings, actor, moderations)


def _verdicts(session: Session, review_id: str) -> list[ReviewVerdictRow]:
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
        earlier = _verdicts(session, parent.id) if parent else []
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
