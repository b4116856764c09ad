"""A detector plugin for tests of the pipeline: frames mostly of the marker colour (pure red by
default) yield ``Explicit Nudity`` evidence. It shows how a third-party package plugs in through
the ``modgate.detectors`` entry point, and lets tests place a trigger at a known moment of a
generated video. Never enabled unless named in ``MODGATE_DETECTION__ENABLED``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import numpy as np

from modgate.detection.base import Detector, DetectorOptions, DetectorOutput, Evidence
from modgate.detection.frames import PreparedImage


class MarkerOptions(DetectorOptions):
    colour: tuple[int, int, int] = (255, 0, 0)
    label: str = "Explicit Nudity"
    tolerance: int = 60
    # Failure injection for retry tests: a file whose existence makes predict fail.
    fail_flag: str = ""
    # Slow down predictions (seconds per image), for crash tests.
    delay: float = 0.0


class MarkerDetector(Detector):
    name = "marker"
    version = "1"
    labels = ("Explicit Nudity", "Violence", "Weapons", "Alcoholic Beverages", "Gambling")
    default_enabled = False
    Options = MarkerOptions

    def setup(self) -> None:
        self.target = np.array(self.options.colour, dtype=np.int16)  # type: ignore[attr-defined]

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        options = self.options
        if options.fail_flag and os.path.exists(options.fail_flag):  # type: ignore[attr-defined]
            raise RuntimeError("marker detector: injected failure")
        if options.delay:  # type: ignore[attr-defined]
            time.sleep(options.delay)  # type: ignore[attr-defined]
        outputs = []
        for image in images:
            pixels = image.resized(32, 32).astype(np.int16)
            close = np.abs(pixels - self.target).max(axis=-1) <= options.tolerance  # type: ignore[attr-defined]
            share = float(close.mean())
            probability = 0.97 if share >= 0.5 else 0.0
            evidence = (
                [Evidence(options.label, probability, self.name, "marker")] if probability else []
            )  # type: ignore[attr-defined]
            outputs.append(DetectorOutput(evidence=evidence))
        return outputs
