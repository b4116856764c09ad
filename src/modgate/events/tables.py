"""The event log: one append-only row per thing that happened to a moderation.

Rows are written in the same transaction as the state change they describe, so the log never
disagrees with the state. Webhook delivery and metrics read it after commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow
from modgate.tenants import TENANT_LENGTH


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    name: Mapped[str] = mapped_column(String(64))
    moderation_id: Mapped[str | None] = mapped_column(String(40), index=True)
    # The tenant the event belongs to (``streams_0001``; older rows: their moderation's).
    tenant: Mapped[str | None] = mapped_column(String(TENANT_LENGTH))
    actor: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
