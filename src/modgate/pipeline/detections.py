"""Stored detections, by (content hash, detector-set version).

Images store the Rekognition-shaped response; videos and animations store their per-timestamp
entries, video facts and flagged-frame thumbnails. Identical bytes detected by the same
detectors are never detected again: the policy is simply re-evaluated for the new context.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import table_of, transaction, utcnow
from modgate.pipeline.tables import DetectionRow

# Built once per dialect, values as parameters: compiled once.
_INSERT: dict[str, Any] = {
    "postgresql": postgresql_insert(table_of(DetectionRow)).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(table_of(DetectionRow)).on_conflict_do_nothing(),
}


class SqlDetectionStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, sha256: str, model_version: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            return self.read(session, sha256, model_version)

    @staticmethod
    def read(session: Session, sha256: str, model_version: str) -> dict[str, Any] | None:
        row = session.get(DetectionRow, (sha256, model_version))
        return dict(row.result) if row else None

    def put(self, sha256: str, model_version: str, result: dict[str, Any]) -> None:
        with transaction(self.sessions) as session:
            self.add(session, sha256, model_version, result)

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
        session.execute(_INSERT[session.get_bind().dialect.name], values)
