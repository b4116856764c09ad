"""What the engine returns for one image or frame: the fused detections and the evidence behind
them.

It lives apart from the engine so the modules that pass results around (video sampling,
timelines, the result cache) import it without importing the engine that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from modgate.detection.base import Evidence
from modgate.taxonomy import taxonomy_v7
from modgate.taxonomy.detections import ImageDetections, Label


@dataclass(frozen=True, slots=True)
class DetectionResult:
    """The fused detections of one image or frame, and the evidence behind them.

    ``detections.labels`` holds every label at or above the record floor (1 %), ancestors
    included, highest first. Its Rekognition body (a ``MinConfidence`` applied the way
    Rekognition does) is ``modgate.taxonomy.rekognition_json.image_body(result.detections)``.
    """

    detections: ImageDetections
    evidence: tuple[Evidence, ...] = ()

    @property
    def model_version(self) -> str:
        return self.detections.model_version

    @property
    def labels(self) -> tuple[Label, ...]:
        return self.detections.labels

    def confidence(self, label: str) -> float:
        """The fused confidence of ``label`` (0 when absent); the name must be a v7 label."""
        name = taxonomy_v7().canonical(label)
        return next((item.confidence for item in self.labels if item.name == name), 0.0)
