"""Tables of quality measurement: the categories each decision saw and flagged, and the
automatic decisions drawn for a blind check with the probability they had of being drawn.

``decision_categories`` has one row per top-level category a decision's detections named:
its highest confidence and whether the decision flagged it (a matched rule whose action is not
``allow``). It carries the moderation's tenant, surface, region and submission time, so counts
per category never read the moderations' JSON. ``quality_draws`` keeps, for each drawn item,
its stratum and inclusion probability, fixed when it was drawn: the weight ``1/probability``
of its check in every later estimate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow
from modgate.moderation.tables import ModerationRow
from modgate.tenants import DEFAULT_TENANT, TENANT_LENGTH

# The summary counts one tenant's decisions by action over a period: this index answers it
# without reading the moderations themselves, in the order of the grouping (no sort).
Index(
    "ix_moderations_tenant_action_created_at",
    ModerationRow.tenant,
    ModerationRow.action,
    ModerationRow.created_at,
    ModerationRow.surface,
)


class DecisionCategoryRow(Base):
    __tablename__ = "decision_categories"
    # Counts of flagged categories over a period read the index alone.
    __table_args__ = (
        Index(
            "ix_decision_categories_tenant_flagged", "tenant", "flagged", "category", "created_at"
        ),
    )

    moderation_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH), default=DEFAULT_TENANT)
    surface: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QualityDrawRow(Base):
    __tablename__ = "quality_draws"
    __table_args__ = (
        Index("ix_quality_draws_review_id", "review_id"),
        Index("ix_quality_draws_tenant_created_at", "tenant", "created_at"),
    )

    moderation_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    review_id: Mapped[str] = mapped_column(String(40))
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH), default=DEFAULT_TENANT)
    action: Mapped[str] = mapped_column(String(16))  # the machine's, which stands
    category: Mapped[str] = mapped_column(String(128))  # the stratum: category ...
    bin: Mapped[str] = mapped_column(String(16))  # ... and confidence bin
    probability: Mapped[float] = mapped_column(Float)
    flagged: Mapped[list[Any]] = mapped_column(default=list)  # categories the decision flagged
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VerdictFactRow(Base):
    """One verdict as the metrics count it, written with the verdict: the server-measured time
    from its task's claim, whether it disagrees with the machine, and a signature of what it
    said (two verdicts on one review disagree when their signatures differ)."""

    __tablename__ = "verdict_facts"
    __table_args__ = (
        # Review time and disagreement over a period read the index alone.
        Index(
            "ix_verdict_facts_tenant_created_at",
            "tenant",
            "created_at",
            "kind",
            "queue",
            "seconds",
            "disagrees",
        ),
    )

    verdict_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    review_id: Mapped[str] = mapped_column(String(40), index=True)
    moderation_id: Mapped[str] = mapped_column(String(40))
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH), default=DEFAULT_TENANT)
    surface: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[float | None] = mapped_column(Float)
    disagrees: Mapped[bool] = mapped_column(Boolean)
    signature: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CheckCategoryRow(Base):
    """One category of one checked decision (a decided routed review, or a blind check): its
    weight ``1/π`` and stratum, whether the machine flagged the category and whether the
    person found it. Only categories flagged or found have a row; a later check of the same
    decision replaces its rows."""

    __tablename__ = "check_categories"
    # The rates' sums over a period read the index alone.
    __table_args__ = (
        Index(
            "ix_check_categories_tenant_created_at",
            "tenant",
            "created_at",
            "category",
            "stratum",
            "flagged",
            "found",
            "weight",
        ),
    )

    moderation_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH), default=DEFAULT_TENANT)
    surface: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(16))
    weight: Mapped[float] = mapped_column(Float)
    stratum: Mapped[str] = mapped_column(String(160))
    flagged: Mapped[bool] = mapped_column(Boolean)
    found: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # the decision's submission
