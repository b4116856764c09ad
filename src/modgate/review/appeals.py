"""Appeals: a user contests a decision; a senior reviewer who took no part in it decides.

An appeal opens its own review in the appeals queue, kept apart from first-pass work, with every
reviewer who gave a verdict on the item excluded, so the appeal is always heard by someone new.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from modgate.db.base import new_id
from modgate.errors import (
    AlreadyAppealedException,
    ConflictException,
    InvalidParameterException,
    ResourceNotFoundException,
)
from modgate.events import AppealCreated, record
from modgate.moderation.store import ModerationStore
from modgate.review.lane import create_review, selected_labels
from modgate.review.settings import ReviewSettings
from modgate.review.tables import AppealRow, ReviewRow, ReviewVerdictRow

MAX_STATEMENT = 5000


def create_appeal(
    session: Session,
    settings: ReviewSettings,
    moderations: ModerationStore,
    moderation_id: str,
    statement: str,
    appellant: str | None,
    now: dt.datetime,
    actor: str | None = None,
    tenant: str | None = None,
) -> AppealRow:
    """Open an appeal of a decided moderation (``tenant``: only of that tenant's; another
    tenant's is not found)."""
    statement = (statement or "").strip()
    if not statement:
        raise InvalidParameterException("An appeal needs the user's statement.")
    if len(statement) > MAX_STATEMENT:
        raise InvalidParameterException(f"The statement is longer than {MAX_STATEMENT} characters.")
    moderation = moderations.get(session, moderation_id, tenant)
    if moderation is None:
        raise ResourceNotFoundException(f"No moderation {moderation_id!r}.")
    if moderation.final_action is None:
        raise ConflictException(
            "This moderation has no final decision yet; appeal it once it is decided."
        )
    if (
        session.scalars(
            select(AppealRow.id).where(AppealRow.moderation_id == moderation_id)
        ).first()
        is not None
    ):
        raise AlreadyAppealedException()
    original = set(
        session.scalars(
            select(ReviewVerdictRow.reviewer_id).where(
                ReviewVerdictRow.moderation_id == moderation_id
            )
        )
    )
    first = session.scalars(
        select(ReviewRow)
        .where(ReviewRow.moderation_id == moderation_id)
        .order_by(ReviewRow.created_at)
    ).first()
    selected = list(first.selected) if first else selected_labels(moderation.decision or {})
    appeal = AppealRow(
        id=new_id("apl"),
        moderation_id=moderation_id,
        review_id="",
        statement=statement,
        appellant=(appellant or None),
        status="open",
        previous_action=moderation.final_action,
        created_at=now,
    )
    session.add(appeal)
    review = create_review(
        session,
        settings,
        moderation_id,
        kind="appeal",
        queue=settings.appeals_queue,
        priority="normal",
        reviewers=1,
        selected=selected,
        rule_id=moderation.rule_id,
        policy_version=moderation.policy_version,
        now=now,
        excluded=original,
        appeal_id=appeal.id,
        actor=actor,
    )
    appeal.review_id = review.id
    record(
        session,
        AppealCreated(
            moderation_id=moderation_id,
            actor=actor,
            appeal_id=appeal.id,
            review_id=review.id,
            previous_action=appeal.previous_action,
            appellant=appeal.appellant,
        ),
    )
    return appeal
