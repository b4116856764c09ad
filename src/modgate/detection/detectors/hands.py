"""MediaPipe's hand models (palm detection + 21 landmarks, ``hands`` extra) and a finger-state
rule → ``Middle Finger``.

A finger counts as extended when its tip is clearly farther from the wrist than its middle
joint, and as folded when it is not; the gesture is the middle finger extended while index,
ring and pinky are folded (the thumb is free). Distances, not directions, so the rule holds
whichever way the hand is turned. MediaPipe's graph is not thread-safe: calls are serialised.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from modgate.detection.base import Detector, DetectorOptions, DetectorOutput, Evidence
from modgate.detection.frames import PreparedImage
from modgate.errors import DetectorLoadError

# Landmark indices (MediaPipe hand model): (middle joint, tip) of each finger.
FINGERS = {"index": (6, 8), "middle": (10, 12), "ring": (14, 16), "pinky": (18, 20)}
WRIST = 0
EXTENDED_RATIO = 1.25
FOLDED_RATIO = 1.05
MAX_SIDE = 512


@contextlib.contextmanager
def _silenced_stderr() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration (C++ logging bypasses Python)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class HandsOptions(DetectorOptions):
    """Options of the ``hands`` detector."""

    min_detection_confidence: float = 0.5


def extension_ratios(landmarks: np.ndarray) -> dict[str, float]:
    """Per finger, distance wrist→tip over distance wrist→middle joint (21 × 2 or 3 array)."""
    wrist = landmarks[WRIST, :2]
    return {
        finger: float(np.linalg.norm(landmarks[tip, :2] - wrist))
        / max(float(np.linalg.norm(landmarks[joint, :2] - wrist)), 1e-6)
        for finger, (joint, tip) in FINGERS.items()
    }


def middle_finger_strength(ratios: dict[str, float]) -> float:
    """0–1: how clearly the landmarks show the gesture (0 when the rule does not hold)."""
    middle = ratios["middle"]
    others = max(ratios["index"], ratios["ring"], ratios["pinky"])
    if middle < EXTENDED_RATIO or others > FOLDED_RATIO:
        return 0.0
    # Margins past both thresholds, each saturating; a textbook gesture scores about 1.
    extended = min((middle - EXTENDED_RATIO) / 0.35, 1.0)
    folded = min((FOLDED_RATIO - others) / 0.25, 1.0)
    return 0.6 + 0.4 * min(extended, folded)


class MiddleFingerDetector(Detector):
    """Hand landmarks + a finger-state rule → ``Middle Finger``."""

    name = "hands"
    version = "mediapipe-0.10.21.1"
    input_side = MAX_SIDE
    labels = ("Middle Finger",)
    requires = ("mediapipe",)
    extra = "hands"
    Options = HandsOptions

    def setup(self) -> None:
        # MediaPipe's C++ logging would otherwise write several lines to stderr per process.
        os.environ.setdefault("GLOG_minloglevel", "2")
        try:
            import mediapipe
        except ImportError as exc:  # pragma: no cover - guarded by ``requires``
            raise DetectorLoadError("install modgate[hands] for the hands detector") from exc
        options: Any = self.options
        self.lock = threading.Lock()
        # Building the graph starts threads, and the first call creates the TFLite interpreter;
        # both write C++ log lines straight to file descriptor 2, sometimes from another thread
        # while this one goes on. Do both now, at start, with that descriptor silenced
        # throughout, so no line is cut in two by the silence starting or ending.
        with _silenced_stderr():
            self.hands = mediapipe.solutions.hands.Hands(
                static_image_mode=True,
                max_num_hands=4,
                model_complexity=1,
                min_detection_confidence=options.min_detection_confidence,
            )
            self.hands.process(np.zeros((64, 64, 3), dtype=np.uint8))

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        return [self._one(image) for image in images]

    def _one(self, image: PreparedImage) -> DetectorOutput:
        scale = min(1.0, MAX_SIDE / max(image.width, image.height))
        pixels = image.resized(
            max(1, round(image.width * scale)), max(1, round(image.height * scale))
        )
        with self.lock:
            result = self.hands.process(np.ascontiguousarray(pixels))
        hands = result.multi_hand_landmarks or []
        handedness = result.multi_handedness or []
        best, found = 0.0, []
        for index, hand in enumerate(hands):
            landmarks = np.array([[point.x, point.y, point.z] for point in hand.landmark])
            ratios = extension_ratios(landmarks)
            score = handedness[index].classification[0].score if index < len(handedness) else 1.0
            strength = middle_finger_strength(ratios) * float(score)
            found.append({"ratios": ratios, "hand_score": float(score)})
            best = max(best, strength)
        evidence = [Evidence("Middle Finger", best, self.name, "finger rule")] if best else []
        return DetectorOutput(evidence=evidence, raw={"hands": found})
