"""Stored media: one row per distinct content (sha256), with where its bytes and previews live."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow


class MediaRow(Base):
    __tablename__ = "media"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
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
