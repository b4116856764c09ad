"""Detection results cached by (sha256 of the bytes, model version): the same bytes are never
detected twice by the same detector set. ``DetectionCache`` is the narrow interface; the
in-memory implementation here serves the CLI and tests. (Jobs keep their detections in the
database instead: ``modgate.detection.store``.)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol

from modgate.detection.result import DetectionResult


class DetectionCache(Protocol):
    """Stored detection results, keyed by content hash and ``ModerationModelVersion``."""

    def get(self, sha256: str, model_version: str) -> DetectionResult | None: ...

    def put(self, sha256: str, model_version: str, result: DetectionResult) -> None: ...


class InMemoryDetectionCache:
    """A bounded least-recently-used cache in this process's memory."""

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], DetectionResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str, model_version: str) -> DetectionResult | None:
        with self._lock:
            result = self._entries.get((sha256, model_version))
            if result is not None:
                self._entries.move_to_end((sha256, model_version))
            return result

    def put(self, sha256: str, model_version: str, result: DetectionResult) -> None:
        with self._lock:
            self._entries[(sha256, model_version)] = result
            self._entries.move_to_end((sha256, model_version))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
