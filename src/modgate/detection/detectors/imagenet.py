"""EfficientNet-Lite0 on ImageNet-1k (converted to ONNX, shipped in ``detection/models``) →
Weapons, Alcoholic Beverages, Pills, Gambling and swimwear labels.

Which ImageNet class counts for which label is reviewed data, ``imagenet_map.csv``: one row per
class with a ``min_probability`` below which that class is ignored. Classes with known
confusions need a confident call (a rocket launch scores ``missile``/``projectile`` at 0.1–0.3,
a kitchen knife scores ``cleaver``). A label's raw score is the summed probability of its
counted classes (a photo split between ``rifle`` and ``assault rifle`` is still clearly a
weapon), then calibrated.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from modgate.detection.backbones import backbone
from modgate.detection.base import Calibration, Detector, DetectorOutput, Evidence
from modgate.detection.detectors._onnx_helpers import softmax
from modgate.detection.frames import PreparedImage
from modgate.taxonomy import taxonomy_v7

CALIBRATION = Calibration(((0.0, 0.0), (0.15, 0.05), (0.5, 0.45), (0.8, 0.85), (1.0, 0.98)))


@dataclass(frozen=True, slots=True)
class ClassMapping:
    """One reviewed row of ``imagenet_map.csv``."""

    class_index: int
    imagenet_class: str
    label: str
    min_probability: float


def load_class_map() -> list[ClassMapping]:
    """The reviewed ImageNet class → v7 label table (labels checked against the taxonomy)."""
    text = (
        resources.files("modgate.detection.detectors")
        .joinpath("imagenet_map.csv")
        .read_text("utf-8")
    )
    tree = taxonomy_v7()
    rows = [
        ClassMapping(
            int(row["class_index"]),
            row["imagenet_class"],
            tree.canonical(row["label"]),
            float(row["min_probability"]),
        )
        for row in csv.DictReader(text.splitlines())
    ]
    if len({row.class_index for row in rows}) != len(rows):
        raise ValueError("imagenet_map.csv lists a class twice")
    return rows


def label_scores(probabilities: np.ndarray, class_map: Sequence[ClassMapping]) -> dict[str, float]:
    """Summed probability per label over the classes that pass their own minimum."""
    scores: dict[str, float] = {}
    for row in class_map:
        probability = float(probabilities[row.class_index])
        if probability > 0.0 and probability >= row.min_probability:
            scores[row.label] = scores.get(row.label, 0.0) + probability
    return scores


CLASS_MAP = load_class_map()


class ImageNetDetector(Detector):
    """ImageNet classes → objects named in the taxonomy (weapons, drinks, pills, slot machines)."""

    name = "imagenet"
    version = "efficientnet_lite0.1"
    input_side = 224
    labels = tuple(sorted({row.label for row in CLASS_MAP}))

    def setup(self) -> None:
        # Shared with the ``custom`` detector, which reads the same run's pooled features.
        self.backbone = backbone("efficientnet_lite0", self.threads)

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        logits = np.stack([output.scores for output in self.backbone.run(images)])
        calibration = self.calibration(CALIBRATION)
        outputs = []
        for probabilities in softmax(logits):
            top = np.argsort(-probabilities)[:5]
            scores = label_scores(probabilities, CLASS_MAP)
            outputs.append(
                DetectorOutput(
                    evidence=[
                        Evidence(label, calibration(min(score, 1.0)), self.name, "imagenet")
                        for label, score in scores.items()
                    ],
                    raw={"top5": [(int(index), float(probabilities[index])) for index in top]},
                )
            )
        return outputs
