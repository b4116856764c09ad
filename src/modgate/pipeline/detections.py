"""Stored detections, by (content hash, detector-set version).

Images store the Rekognition-shaped response; videos and animations store their per-timestamp
entries, video facts and flagged-frame thumbnails (``modgate.taxonomy.rekognition_json`` writes
and reads the stored form). Identical bytes detected by the same detectors are never detected
again: the policy is simply re-evaluated for the new context.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import table_of, utcnow
from modgate.db.dialect import insert_or_ignore
from modgate.pipeline.tables import DetectionRow
from modgate.taxonomy.detections import Detections
from modgate.taxonomy.rekognition_json import (
    stored_detections_from_json,
    stored_detections_to_json,
)

# Built once per dialect, values as parameters: compiled once.
_INSERT = insert_or_ignore(table_of(DetectionRow))


class SqlDetectionStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, sha256: str, model_version: str) -> Detections | None:
        """The stored detections of these bytes by this detector set, if any. (A job reads
        them in the same statement as its moderation; see the processor.)"""
        with self.sessions() as session:
            row = session.get(DetectionRow, (sha256, model_version))
            return stored_detections_from_json(row.result) if row else None

    @staticmethod
    def add(session: Session, sha256: str, detections: Detections) -> None:
        """Store detections inside the caller's transaction; when another worker stored the
        same ones first (identical by construction), keep theirs."""
        values = {
            "sha256": sha256,
            "model_version": detections.model_version,
            "result": stored_detections_to_json(detections),
            "created_at": utcnow(),
        }
        session.execute(_INSERT(session), values)
