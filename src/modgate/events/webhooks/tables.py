"""Webhook tables: the endpoints customers registered, one delivery row per (event, endpoint)
with its tries and outcome, and the events already fanned out into deliveries.

Created by the ``pipeline`` Alembic branch (``pipeline_0001``); ``pipeline_0002`` made each
endpoint belong to a tenant, whose moderations alone it hears about. ``modgate.db.migrate``
imports this module so the metadata Alembic compares against includes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow
from modgate.tenants import DEFAULT_TENANT, TENANT_LENGTH


class WebhookEndpointRow(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(
        String(TENANT_LENGTH), default=DEFAULT_TENANT, server_default=DEFAULT_TENANT, index=True
    )
    # The API key (by name) that registered the endpoint: shown, no longer limiting.
    client: Mapped[str | None] = mapped_column(String(128), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[Any]] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    event_name: Mapped[str] = mapped_column(String(64))
    moderation_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column()


class WebhookFanoutRow(Base):
    """Events already turned into deliveries (so each event fans out exactly once)."""

    __tablename__ = "webhook_fanout"

    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
