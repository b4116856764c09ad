"""The moderation's rows: one per moderation request, the record every later stage reads and fills.

Detection fills ``labels``/``content_types``/``model_version``; the policy fills ``action``,
``rule_id``, ``policy_version`` and ``decision`` (the whole Decision, trace included); the review
lane fills ``verdict`` and ``final_action``. Backtests replay ``labels`` with ``context``. The
tables are created by the core migration (``core_0001_media_and_moderations``); ``core_0003``
gave each moderation its tenant, and made ``client_request_token`` unique per tenant (one
tenant's token says nothing about another's).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow
from modgate.tenants import DEFAULT_TENANT, TENANT_LENGTH


class ModerationRow(Base):
    __tablename__ = "moderations"
    __table_args__ = (
        Index("ix_moderations_created_at", "created_at"),
        Index("ix_moderations_surface_created_at", "surface", "created_at"),
        Index("ix_moderations_tenant_created_at", "tenant", "created_at"),
        # The moderations of one media record (retention and erasure).
        Index("ix_moderations_media_id", "media_id"),
        UniqueConstraint(
            "tenant", "client_request_token", name="uq_moderations_tenant_client_request_token"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(
        String(TENANT_LENGTH), default=DEFAULT_TENANT, server_default=DEFAULT_TENANT
    )
    media_id: Mapped[str] = mapped_column(ForeignKey("media.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    client_request_token: Mapped[str | None] = mapped_column(String(128))
    external_id: Mapped[str | None] = mapped_column(String(255))
    surface: Mapped[str | None] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_version: Mapped[str | None] = mapped_column(String(255))
    labels: Mapped[list[Any] | None] = mapped_column()
    content_types: Mapped[list[Any] | None] = mapped_column()
    action: Mapped[str | None] = mapped_column(String(16))
    rule_id: Mapped[str | None] = mapped_column(String(128))
    policy_version: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[dict[str, Any] | None] = mapped_column()
    verdict: Mapped[dict[str, Any] | None] = mapped_column()
    final_action: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column()


class ModerationExtraRow(Base):
    """Per-moderation data that only some moderations have (client metadata, video facts)."""

    __tablename__ = "moderation_extras"

    moderation_id: Mapped[str] = mapped_column(ForeignKey("moderations.id"), primary_key=True)
    client: Mapped[str | None] = mapped_column(String(128), index=True)
    client_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    video_metadata: Mapped[dict[str, Any] | None] = mapped_column()
    thumbnails: Mapped[dict[str, Any] | None] = mapped_column()
    # What the text detectors found (``text_0001``), in Comprehend's shape.
    text_findings: Mapped[list[Any] | None] = mapped_column()
