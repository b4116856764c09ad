"""Stored detections, by (content hash, detector-set version): the ``DetectionStore`` protocol,
its SQL implementation and an in-memory double for tests. ``get_many`` reads many items' at once
(decisions for a feed replay a page of items in one read).

Images store the Rekognition-shaped response; videos and animations store their per-timestamp
entries, video facts and flagged-frame thumbnails (``modgate.taxonomy.rekognition_json`` writes
and reads the stored form). Identical bytes detected by the same detectors are never detected
again: the policy is simply re-evaluated for the new context. Every method works inside the
caller's session, so detections are committed with the decision made on them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from modgate.db.base import table_of, utcnow
from modgate.db.dialect import insert_or_ignore
from modgate.detection.tables import DetectionRow
from modgate.taxonomy.detections import Detections
from modgate.taxonomy.rekognition_json import (
    stored_detections_from_json,
    stored_detections_to_json,
)

# Built once per dialect, values as parameters: compiled once.
_detections = table_of(DetectionRow)
_INSERT = insert_or_ignore(_detections)
# Many at once: the content hashes in one list, each row's detector set checked as it comes.
_MANY = select(_detections.c.sha256, _detections.c.model_version, _detections.c.result).where(
    _detections.c.sha256.in_(bindparam("hashes", expanding=True))
)
# A stored detections' key: (content hash, detector-set version).
Key = tuple[str, str]


class DetectionStore(Protocol):
    def get(self, session: Session, sha256: str, model_version: str) -> Detections | None:
        """The stored detections of these bytes by this detector set, if any."""
        ...

    def get_many(self, session: Session, keys: Iterable[Key]) -> dict[Key, Detections]:
        """The stored detections of each (content hash, detector set) that has some, in one
        read; keys with none are left out."""
        ...

    def add(self, session: Session, sha256: str, detections: Detections) -> None:
        """Store ``detections`` of the bytes ``sha256`` (their ``model_version`` is the key's
        other half); when the same ones are stored already (identical by construction), keep
        those."""
        ...


class SqlDetectionStore:
    """Stored detections in the database (SQLite or PostgreSQL). A job reads them in the same
    statement as its moderation (see the pipeline's processor), so ``get`` serves the rest."""

    def get(self, session: Session, sha256: str, model_version: str) -> Detections | None:
        row = session.get(DetectionRow, (sha256, model_version))
        return stored_detections_from_json(row.result) if row else None

    def get_many(self, session: Session, keys: Iterable[Key]) -> dict[Key, Detections]:
        wanted = set(keys)
        if not wanted:
            return {}
        hashes = sorted({sha256 for sha256, _version in wanted})
        return {
            (row.sha256, row.model_version): stored_detections_from_json(row.result)
            for row in session.execute(_MANY, {"hashes": hashes})
            if (row.sha256, row.model_version) in wanted
        }

    def add(self, session: Session, sha256: str, detections: Detections) -> None:
        values = {
            "sha256": sha256,
            "model_version": detections.model_version,
            "result": stored_detections_to_json(detections),
            "created_at": utcnow(),
        }
        session.execute(_INSERT(session), values)


class InMemoryDetectionStore:
    """The ``DetectionStore`` in a dict, for tests without a database. Sessions are accepted
    and ignored."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], Detections] = {}
        self._lock = threading.Lock()

    def get(self, session: object, sha256: str, model_version: str) -> Detections | None:
        return self.stored.get((sha256, model_version))

    def get_many(self, session: object, keys: Iterable[Key]) -> dict[Key, Detections]:
        return {key: self.stored[key] for key in set(keys) if key in self.stored}

    def add(self, session: object, sha256: str, detections: Detections) -> None:
        with self._lock:
            self.stored.setdefault((sha256, detections.model_version), detections)
