"""Detection: detector plugins, the built-in models, fusion into taxonomy v7 labels.

Public API: ``DetectionEngine.from_settings(settings)`` → ``detect`` (typed ``ImageDetections``),
``detect_image`` / ``detect_frames`` returning ``DetectionResult`` (the detections and the
evidence behind them); ``detect_timeline`` for videos and animations (a typed ``Timeline``);
``detect_video`` for the labels of sampled video frames; ``Detector`` to write a plugin
(``RemoteDetector`` for one whose model runs elsewhere);
``DetectionCache`` and ``InMemoryDetectionCache``.

Names are imported on first use: ``modgate.settings`` imports ``detection.settings``, and
loading settings must not pull in onnxruntime.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Calibration": "modgate.detection.base",
    "Detector": "modgate.detection.base",
    "DetectorOptions": "modgate.detection.base",
    "DetectorOutput": "modgate.detection.base",
    "Evidence": "modgate.detection.base",
    "DetectionCache": "modgate.detection.cache",
    "InMemoryDetectionCache": "modgate.detection.cache",
    "DetectionEngine": "modgate.detection.engine",
    "DetectionResult": "modgate.detection.result",
    "PreparedImage": "modgate.detection.frames",
    "RemoteDetector": "modgate.detection.remote.base",
    "Sampling": "modgate.detection.timeline",
    "detect_timeline": "modgate.detection.timeline",
    "detect_video": "modgate.detection.video",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'modgate.detection' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
