"""Tables of the review lane: reviews (one per item per pass), their tasks (one per reviewer
slot, the unit that is claimed), verdicts, exclusions, disagreements, appeals and reveals.

A task is claimable when ``status = 'pending'`` and ``available_at <= now``: ``available_at`` is
the creation time for a fresh task and the lease expiry for a claimed one, so an expired lease
returns the task to the queue without any sweeper. ``sort_key`` is the creation time moved
earlier by the priority's head start, so one index orders by severity and age together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow


class ReviewRow(Base):
    """One pass of human review over one moderation: first pass, escalation or appeal."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_moderation_id_created_at", "moderation_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    moderation_id: Mapped[str] = mapped_column(ForeignKey("moderations.id"))
    kind: Mapped[str] = mapped_column(String(16))  # first | escalation | appeal
    queue: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(16))
    # open | decided | escalated | withdrawn (its item went back to the machine)
    status: Mapped[str] = mapped_column(String(16), default="open")
    reviewers_needed: Mapped[int] = mapped_column(Integer)
    strategy: Mapped[str] = mapped_column(String(16))
    selected: Mapped[list[Any]] = mapped_column(default=list)  # labels that triggered review
    rule_id: Mapped[str | None] = mapped_column(String(128))
    policy_version: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(String(40))  # escalation: the review it settles
    appeal_id: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column()
    completed_at: Mapped[dt.datetime | None] = mapped_column()


class ReviewTaskRow(Base):
    """One reviewer slot of a review; the unit handed out by ``claim_next``."""

    __tablename__ = "review_tasks"
    __table_args__ = (
        Index("ix_review_tasks_claim", "queue", "status", "sort_key", "id"),
        Index("ix_review_tasks_claimed_by", "claimed_by"),
        Index("ix_review_tasks_review_id", "review_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id"))
    moderation_id: Mapped[str] = mapped_column(String(40))
    queue: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|done|cancelled
    sort_key: Mapped[dt.datetime] = mapped_column()
    available_at: Mapped[dt.datetime] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column()


class ReviewExclusionRow(Base):
    """A reviewer who must not get a task of this review (took a slot, skipped, or decided the
    original item of an appeal or escalation)."""

    __tablename__ = "review_exclusions"

    review_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))  # claimed | skipped | original


class ReviewVerdictRow(Base):
    __tablename__ = "review_verdicts"
    __table_args__ = (
        Index("ix_review_verdicts_review_id", "review_id"),
        Index("ix_review_verdicts_reviewer_id_created_at", "reviewer_id", "created_at"),
        Index("ix_review_verdicts_moderation_id", "moderation_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(40), unique=True)
    review_id: Mapped[str] = mapped_column(String(40))
    moderation_id: Mapped[str] = mapped_column(String(40))
    reviewer_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(16))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)  # label -> was the flag right
    missed: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    seconds_spent: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReviewDisagreementRow(Base):
    """Per category (a label, or ``action``) of a consolidated review: did the reviewers agree?"""

    __tablename__ = "review_disagreements"
    __table_args__ = (Index("ix_review_disagreements_category", "category", "created_at"),)

    review_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(128), primary_key=True)
    moderation_id: Mapped[str] = mapped_column(String(40))
    reviewers: Mapped[int] = mapped_column(Integer)
    disagreed: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AppealRow(Base):
    __tablename__ = "appeals"
    __table_args__ = (Index("ix_appeals_moderation_id", "moderation_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    moderation_id: Mapped[str] = mapped_column(ForeignKey("moderations.id"))
    review_id: Mapped[str] = mapped_column(String(40))
    statement: Mapped[str] = mapped_column(Text)
    appellant: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    previous_action: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))  # upheld | overturned
    final_action: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column()


class RevealRow(Base):
    """A reviewer looked at an unblurred preview (wellness cap and audit)."""

    __tablename__ = "preview_reveals"
    __table_args__ = (Index("ix_preview_reveals_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    moderation_id: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
