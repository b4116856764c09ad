"""Stored policies: versions by content hash, activations per surface, shadow runs and decisions.

``policy_versions`` is append-only (a version is its sha256). ``policy_activations`` keeps the
full history: the active policy of a surface is its one row without ``deactivated_at``; a rollback
is a new activation of an older version. Shadow decisions are stored beside, never enforced.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
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
