"""From verdicts to decisions: recording one reviewer's verdict and, once every slot has
answered, finishing the review (``modgate.review.finish``: consolidating it, escalating ties to
the senior queue, resolving appeals).

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
from modgate.events import ReviewVerdictSubmitted, record
from modgate.moderation.store import ModerationStore
from modgate.quality.record import record_verdict
from modgate.review.finish import finish_review, verdicts_of
from modgate.review.models import VERDICT_ACTIONS, VerdictInput
from modgate.review.settings import ReviewSettings
from modgate.review.store import owned_task
from modgate.review.tables import ReviewRow, ReviewVerdictRow
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
    verdicts = verdicts_of(session, review.id)
    result: dict[str, Any] = {
        "review_id": review.id,
        "moderation_id": review.moderation_id,
        "submitted": len(verdicts),
        "needed": review.reviewers_needed,
    }
    if len(verdicts) < review.reviewers_needed:
        return result | {"status": "waiting"}
    return result | finish_review(session, review, verdicts, now, settings, actor, moderations)
