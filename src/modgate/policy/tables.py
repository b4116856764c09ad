"""Stored policies: versions by content hash, activations per surface, shadow runs and decisions.

``policy_versions`` is append-only (a version is its sha256). ``policy_activations`` keeps the
full history: the active policy of a surface is its one row without ``deactivated_at``; a rollback
is a new activation of an older version. Shadow decisions are stored beside, never enforced.
What gated activation reads is kept beside the versions: each run of a version's test cases,
the backtest reports attached to it per surface, and editors' approvals (``policy_0002``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base


class PolicyVersionRow(Base):
    __tablename__ = "policy_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column()


class PolicyActivationRow(Base):
    __tablename__ = "policy_activations"
    __table_args__ = (
        Index("ix_policy_activations_surface_activated_at", "surface", "activated_at"),
        Index(
            "uq_policy_activations_active_surface",
            "surface",
            unique=True,
            sqlite_where=text("deactivated_at IS NULL"),
            postgresql_where=text("deactivated_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    surface: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(ForeignKey("policy_versions.version"))
    mode: Mapped[str] = mapped_column(String(8), default="active")
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    activated_at: Mapped[dt.datetime] = mapped_column()
    deactivated_at: Mapped[dt.datetime | None] = mapped_column()


class PolicyShadowRow(Base):
    __tablename__ = "policy_shadows"
    __table_args__ = (Index("ix_policy_shadows_surface", "surface"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    surface: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(ForeignKey("policy_versions.version"))
    actor: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[dt.datetime] = mapped_column()
    stopped_at: Mapped[dt.datetime | None] = mapped_column()


class ShadowDecisionRow(Base):
    __tablename__ = "shadow_decisions"
    __table_args__ = (
        Index("ix_shadow_decisions_surface_created_at", "surface", "created_at"),
        Index("ix_shadow_decisions_moderation_id", "moderation_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    moderation_id: Mapped[str | None] = mapped_column(String(40))
    surface: Mapped[str] = mapped_column(String(64))
    candidate_version: Mapped[str] = mapped_column(String(64))
    active_version: Mapped[str | None] = mapped_column(String(64))
    candidate_action: Mapped[str] = mapped_column(String(16))
    candidate_rule: Mapped[str] = mapped_column(String(128))
    active_action: Mapped[str | None] = mapped_column(String(16))
    active_rule: Mapped[str | None] = mapped_column(String(128))
    decision: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column()


class PolicyCaseRunRow(Base):
    """One run of a version's test cases (the cases YAML kept with it): what gated activation
    reads first. The newest run of a version is the one that counts."""

    __tablename__ = "policy_case_runs"
    __table_args__ = (Index("ix_policy_case_runs_version_created_at", "version", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(ForeignKey("policy_versions.version"))
    cases_source: Mapped[str] = mapped_column(Text)
    total: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    results: Mapped[list[Any]] = mapped_column()
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column()


class PolicyBacktestRow(Base):
    """A backtest report attached to a version for one surface (replayed stored history)."""

    __tablename__ = "policy_backtests"
    __table_args__ = (
        Index("ix_policy_backtests_version_surface", "version", "surface", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(ForeignKey("policy_versions.version"))
    surface: Mapped[str] = mapped_column(String(64))
    since: Mapped[dt.datetime | None] = mapped_column()
    until: Mapped[dt.datetime | None] = mapped_column()
    report: Mapped[dict[str, Any]] = mapped_column()
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column()


class PolicyApprovalRow(Base):
    """A policy editor's approval of activating a version on a surface (four eyes). Used up by
    the activation it allowed (``activation_id``)."""

    __tablename__ = "policy_approvals"
    __table_args__ = (Index("ix_policy_approvals_version_surface", "version", "surface"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(ForeignKey("policy_versions.version"))
    surface: Mapped[str] = mapped_column(String(64))
    approver: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column()
    activation_id: Mapped[str | None] = mapped_column(String(40))
