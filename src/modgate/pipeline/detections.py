"""Stored detections, by (content hash, detector-set version).

Images store the Rekognition-shaped response; videos and animations store their per-timestamp
entries, video facts and flagged-frame thumbnails. Identical bytes detected by the same
detectors are never detected again: the policy is simply re-evaluated for the new context.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import table_of, utcnow
from modgate.db.dialect import insert_or_ignore
from modgate.pipeline.tables import DetectionRow

# Built once per dialect, values as parameters: compiled once.
_INSERT = insert_or_ignore(table_of(DetectionRow))


class SqlDetectionStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, sha256: str, model_version: str) -> dict[str, Any] | None:
        """The stored detections of these bytes by this detector set, if any. (A job reads
        them in the same statement as its moderation; see the processor.)"""
        with self.sessions() as session:
            row = session.get(DetectionRow, (sha256, model_version))
            return dict(row.result) if row else None

    @staticmethod
    def add(session: Session, sha256: str, model_version: str, result: dict[str, Any]) -> None:
        """Store detections inside the caller's transaction; when another worker stored the
        same ones first (identical by construction), keep theirs."""
        values = {
            "sha256": sha256,
            "model_version": model_version,
            "result": result,
            "created_at": utcnow(),
        }
        session.execute(_INSERT(session), values)
