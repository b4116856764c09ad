"""The rows of live streams: one per stream (its lease, progress and end), one per segment.

A stream is a durable job: ``locked_by`` / ``locked_until`` say which worker holds it; every
sample's results are committed with a check that the committing worker still holds it, so a
worker whose lease ran out never writes after the one that took over.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow
from modgate.tenants import DEFAULT_TENANT, TENANT_LENGTH


class StreamRow(Base):
    __tablename__ = "streams"
    __table_args__ = (
        Index("ix_streams_tenant_created_at", "tenant", "created_at"),
        Index("ix_streams_status_locked_until", "status", "locked_until"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH), default=DEFAULT_TENANT)
    url: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fps: Mapped[float] = mapped_column(Float, default=1.0)
    # Policy actions that end the stream when the policy asks for them (``terminate``).
    terminate_on: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="starting")
    reason: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    holds: Mapped[int] = mapped_column(Integer, default=0)
    # Source time (seconds) that is the stream's time 0; set by the first picture.
    origin_seconds: Mapped[float | None] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    last_sample_ms: Mapped[int | None] = mapped_column(Integer)
    skipped_ms: Mapped[int] = mapped_column(Integer, default=0)
    gaps: Mapped[list[Any]] = mapped_column(default=list)
    last_action: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column()


class StreamSegmentRow(Base):
    """A label's stretch of a stream; open (``end_ms`` None) while the label is on screen."""

    __tablename__ = "stream_segments"
    __table_args__ = (Index("ix_stream_segments_stream_start", "stream_id", "start_ms"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    stream_id: Mapped[str] = mapped_column(ForeignKey("streams.id"))
    label: Mapped[str] = mapped_column(String(128))
    parent: Mapped[str] = mapped_column(String(128), default="")
    taxonomy_level: Mapped[int] = mapped_column(Integer, default=1)
    confidence: Mapped[float] = mapped_column(Float)
    start_ms: Mapped[int] = mapped_column(Integer)
    # The end of the last sample that showed the label (the segment's end once closed).
    last_ms: Mapped[int] = mapped_column(Integer)
    end_ms: Mapped[int | None] = mapped_column(Integer)
    thumbnail: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
