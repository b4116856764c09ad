"""Stored media: one row per tenant and distinct content (sha256), with where its bytes and
previews live. Two tenants uploading the same bytes get a record each (their own id and time:
nothing tells one that the other has the bytes), while the blob, addressed by sha256, is stored
once. ``core_0003`` added the tenant.

Retention and erasure (``modgate.governance``, ``retention_0001``) delete the bytes and keep the
row: when the original, the previews and the flagged-moment thumbnails went is stamped here, so
nothing makes them again and readers answer 410 rather than failing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow
from modgate.tenants import DEFAULT_TENANT, TENANT_LENGTH


class MediaRow(Base):
    __tablename__ = "media"
    __table_args__ = (
        UniqueConstraint("tenant", "sha256", name="uq_media_tenant_sha256"),
        # Bytes are shared by content across tenants: who else holds them (retention).
        Index("ix_media_sha256", "sha256"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(
        String(TENANT_LENGTH), default=DEFAULT_TENANT, server_default=DEFAULT_TENANT
    )
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # image | video
    format: Mapped[str] = mapped_column(String(16))  # JPEG, PNG, MP4 …
    mime: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    frame_count: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    codec: Mapped[str | None] = mapped_column(String(32))
    frame_rate: Mapped[float | None] = mapped_column(Float)
    blob_key: Mapped[str] = mapped_column(String(255))
    preview_key: Mapped[str | None] = mapped_column(String(255))
    blurred_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    originals_deleted_at: Mapped[dt.datetime | None] = mapped_column()
    previews_deleted_at: Mapped[dt.datetime | None] = mapped_column()
    thumbnails_deleted_at: Mapped[dt.datetime | None] = mapped_column()
    erased_at: Mapped[dt.datetime | None] = mapped_column()
