"""NudeNet's body-part detector (``320n.onnx`` from the ``nudenet`` package) → nudity labels.

The model is a YOLOv8-style detector of 18 classes (exposed/covered body parts and faces). For
labels only the strongest box of each class matters, so decoding takes a max over anchors
instead of a full non-maximum suppression. The model file is read from the installed package
(AGPL-3.0 per its bundled licence text), which is why it is the optional ``nudenet`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from modgate.detection.base import Calibration, Detector, DetectorOutput, Evidence
from modgate.detection.frames import PreparedImage
from modgate.detection.runtime import create_session

CLASSES = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)

# Exposed intimate parts: nudenet reports boxes from 0.2 (NMS drops them below 0.25); safe photos
# reach 0.24 (skimage coffee, BUTTOCKS_EXPOSED), real hits are usually above 0.5.
EXPOSED = Calibration(((0.0, 0.0), (0.25, 0.1), (0.45, 0.5), (0.7, 0.85), (1.0, 0.99)))
# Covered parts also fire on ordinary tight clothing, so they need a clearer call.
COVERED = Calibration(((0.0, 0.0), (0.3, 0.1), (0.55, 0.5), (0.8, 0.8), (1.0, 0.95)))

# nudenet class → (v7 label, calibration). Faces, feet, armpits and bellies carry no label.
CLASS_LABELS: dict[str, tuple[str, Calibration]] = {
    "FEMALE_GENITALIA_EXPOSED": ("Exposed Female Genitalia", EXPOSED),
    "MALE_GENITALIA_EXPOSED": ("Exposed Male Genitalia", EXPOSED),
    "FEMALE_BREAST_EXPOSED": ("Exposed Female Nipple", EXPOSED),
    "BUTTOCKS_EXPOSED": ("Exposed Buttocks or Anus", EXPOSED),
    "ANUS_EXPOSED": ("Exposed Buttocks or Anus", EXPOSED),
    "MALE_BREAST_EXPOSED": ("Exposed Male Nipple", EXPOSED),
    "FEMALE_GENITALIA_COVERED": ("Female Swimwear or Underwear", COVERED),
    "FEMALE_BREAST_COVERED": ("Female Swimwear or Underwear", COVERED),
    "BUTTOCKS_COVERED": ("Swimwear or Underwear", COVERED),
    "ANUS_COVERED": ("Swimwear or Underwear", COVERED),
}

INPUT_SIZE = 320


def model_path() -> Path:
    import nudenet

    return Path(nudenet.__file__).resolve().parent / "320n.onnx"


def strongest_boxes(output: np.ndarray, scale: float) -> dict[str, tuple[float, list[float]]]:
    """Per class, the best score and its box (x, y, width, height in image pixels).

    ``output`` is one image's raw ``[4 + classes, anchors]`` tensor.
    """
    boxes, scores = output[:4], output[4:]
    best_anchor = scores.argmax(axis=1)
    found: dict[str, tuple[float, list[float]]] = {}
    for class_index, anchor in enumerate(best_anchor):
        score = float(scores[class_index, anchor])
        if score < 0.05:
            continue
        center_x, center_y, width, height = (float(v) * scale for v in boxes[:, anchor])
        found[CLASSES[class_index]] = (
            score,
            [center_x - width / 2, center_y - height / 2, width, height],
        )
    return found


class NudeNetDetector(Detector):
    """Exposed and covered body parts → Explicit Nudity, Non-Explicit Nudity, swimwear labels."""

    name = "nudenet"
    version = "3.4.2-320n.1"
    input_side = INPUT_SIZE
    labels: ClassVar[tuple[str, ...]] = tuple(sorted({label for label, _ in CLASS_LABELS.values()}))
    requires = ("nudenet",)
    extra = "nudenet"

    def setup(self) -> None:
        self.session = create_session(model_path(), self.threads, self.name)
        self.input_name = self.session.get_inputs()[0].name

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        views = [image.letterboxed(INPUT_SIZE) for image in images]
        # BGR, as nudenet's own pipeline feeds the model (its two channel swaps cancel out).
        batch = np.stack([view[..., ::-1] for view, _ in views]).astype(np.float32) / 255.0
        raw = self.session.run(None, {self.input_name: batch.transpose(0, 3, 1, 2)})[0]
        outputs = []
        for per_image, (_, scale) in zip(raw, views, strict=True):
            found = strongest_boxes(per_image, scale)
            evidence = []
            for part, (score, _box) in found.items():
                if part in CLASS_LABELS:
                    label, default = CLASS_LABELS[part]
                    evidence.append(
                        Evidence(label, self.calibration(default)(score), self.name, part)
                    )
            outputs.append(
                DetectorOutput(
                    evidence=evidence,
                    raw={
                        part: {"score": score, "box": box} for part, (score, box) in found.items()
                    },
                )
            )
        return outputs
