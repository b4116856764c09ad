"""Stored detections, by (content hash, detector-set version).

Images store the Rekognition-shaped response; videos and animations store their per-timestamp
entries, video facts and flagged-frame thumbnails. Identical bytes detected by the same
detectors are never detected again: the policy is simply re-evaluated for the new context.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import transaction
from modgate.pipeline.tables import DetectionRow


class SqlDetectionStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, sha256: str, model_version: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            row = session.get(DetectionRow, (sha256, model_version))
            return dict(row.result) if row else None

    def put(self, sha256: str, model_version: str, result: dict[str, Any]) -> None:
        try:
            with transaction(self.sessions) as session:
                session.add(DetectionRow(sha256=sha256, model_version=model_version, result=result))
        except IntegrityError:
            pass  # another worker stored the same detections first: identical by construction
