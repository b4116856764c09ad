"""Bank tables: banks, the content each holds, and the signals (hashes) of each content.

A content's id is a plain integer, as HMA's ``bank_content_id`` is. ``banks.revision`` is
raised in the same transaction as every change to a bank's settings or contents: the matching
index (``modgate.banks.index``) rebuilds or extends only the banks whose revision moved.
Created by the ``banks`` Alembic branch (``banks_0001``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow
from modgate.tenants import TENANT_LENGTH

_ID = BigInteger().with_variant(Integer(), "sqlite")


class BankRow(Base):
    __tablename__ = "banks"
    __table_args__ = (UniqueConstraint("tenant", "name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH), index=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    matching_enabled_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    max_distance: Mapped[int] = mapped_column(Integer, default=31)
    negative: Mapped[bool] = mapped_column(default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Raised with ``revision`` when a content is turned off or on or removed (not added): the
    # index reads which contents still answer only then, not on every addition.
    content_revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BankContentRow(Base):
    __tablename__ = "bank_contents"
    __table_args__ = (Index("ix_bank_contents_bank_id_id", "bank_id", "id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    bank_id: Mapped[str] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH))
    enabled: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # How it came in: upload, media, moderation, signal, import, review.
    source: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[str | None] = mapped_column(String(40))
    moderation_id: Mapped[str | None] = mapped_column(String(40), index=True)
    added_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BankSignalRow(Base):
    __tablename__ = "bank_signals"
    __table_args__ = (Index("ix_bank_signals_bank_id_id", "bank_id", "id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    content_id: Mapped[int] = mapped_column(
        _ID, ForeignKey("bank_contents.id", ondelete="CASCADE"), index=True
    )
    bank_id: Mapped[str] = mapped_column(String(40))
    signal_type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int | None] = mapped_column(Integer)
    timestamp_ms: Mapped[int | None] = mapped_column(Integer)
