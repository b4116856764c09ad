"""The pipeline's rows: durable jobs (the single source of truth of a job's state), stored
detections and the rest of what the pipeline keeps. The moderation record itself lives in
``modgate.moderation.tables``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow


class JobRow(Base):
    """A durable job: the single source of truth for its state. Executors carry only its id."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    moderation_id: Mapped[str] = mapped_column(ForeignKey("moderations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="moderate")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    run_after: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()


class DetectionRow(Base):
    """Stored detections by (content hash, detector set version): the same bytes are never
    detected twice by the same detectors."""

    __tablename__ = "detections"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(255), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
