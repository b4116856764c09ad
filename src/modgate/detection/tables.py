"""The stored detections' row: what a detector set found in a content hash, kept so the same
bytes are never detected twice by the same detectors.

The table is created by the pipeline's first migration (``pipeline_0001``); its owner is
detection, whose ``DetectionStore`` reads and writes it and whose codec
(``modgate.taxonomy.rekognition_json``) gives ``result`` its shape.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow


class DetectionRow(Base):
    """Stored detections by (content hash, detector set version): the same bytes are never
    detected twice by the same detectors."""

    __tablename__ = "detections"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(255), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
