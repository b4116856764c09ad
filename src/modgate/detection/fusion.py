"""Fusion: the evidence of several detectors → one confidence (0–100) per taxonomy v7 label.

Rules, in order (kept simple so a reviewer can follow a score back to its models):

1. Each detector counts once per label: its strongest evidence for that label.
2. One confident detector decides: the label's probability is the highest detector probability.
3. Agreement raises it: when two or more detectors each give at least ``CORROBORATION`` (0.5),
   the label gets their noisy-OR, ``1 - Π(1 - p)`` — independent models agreeing is stronger
   evidence than either alone. Weak evidence never adds up to a hit on its own, so safe images
   with a few low scores stay low.
4. A label's ancestors are at least as confident as the label: an L3 hit raises its L2 and L1,
   and the whole ancestor chain is reported, as Rekognition does.

Detectors calibrate their raw scores (``Calibration``) before fusion; fusion does not rescale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from modgate.detection.base import DetectorOutput, Evidence
from modgate.detection.result import DetectionResult
from modgate.taxonomy import Taxonomy, taxonomy_v7
from modgate.taxonomy.detections import ContentType, ImageDetections, ranked_labels
from modgate.taxonomy.rekognition_json import text_line_from_json

FUSION_VERSION = "1"
CORROBORATION = 0.5
# Labels under this confidence (percent) are not kept at all; stored results can still be
# replayed against any policy threshold above it.
RECORD_FLOOR = 1.0


@dataclass(frozen=True, slots=True)
class FusedLabel:
    """A label's fused confidence (0–100) and the evidence behind it."""

    name: str
    confidence: float
    sources: tuple[Evidence, ...]


def combine(probabilities: Iterable[float]) -> float:
    """Rules 2 and 3 for one label: probabilities are one per detector, 0–1."""
    values = sorted(probabilities, reverse=True)
    if not values:
        return 0.0
    agreeing = [value for value in values if value >= CORROBORATION]
    if len(agreeing) < 2:
        return values[0]
    remaining = 1.0
    for value in agreeing:
        remaining *= 1.0 - value
    return 1.0 - remaining


def strongest_per_detector(evidence: Iterable[Evidence]) -> dict[str, dict[str, Evidence]]:
    """label → detector → that detector's strongest evidence for the label (rule 1)."""
    table: dict[str, dict[str, Evidence]] = defaultdict(dict)
    for item in evidence:
        current = table[item.label].get(item.detector)
        if current is None or item.probability > current.probability:
            table[item.label][item.detector] = item
    return table


def fuse_labels(
    evidence: Iterable[Evidence], taxonomy: Taxonomy | None = None
) -> dict[str, FusedLabel]:
    """Fused labels with ancestors included (rule 4), confidence in percent, floor applied."""
    tree = taxonomy or taxonomy_v7()
    table = strongest_per_detector(evidence)
    fused: dict[str, FusedLabel] = {}
    for label, by_detector in table.items():
        name = tree.canonical(label)
        probability = combine(item.probability for item in by_detector.values())
        fused[name] = FusedLabel(name, 100.0 * probability, tuple(by_detector.values()))
    for name in sorted(fused, key=lambda n: -tree.get(n).level):
        child = fused[name]
        for ancestor in tree.ancestors(name):
            existing = fused.get(ancestor.name)
            if existing is None or existing.confidence < child.confidence:
                sources = (existing.sources if existing else ()) + child.sources
                fused[ancestor.name] = FusedLabel(ancestor.name, child.confidence, sources)
    return {name: label for name, label in fused.items() if label.confidence >= RECORD_FLOOR}


def fuse_content_types(evidence: Iterable[Evidence]) -> dict[str, float]:
    """Content type → confidence in percent (rules 1–3; content types have no tree)."""
    table = strongest_per_detector(evidence)
    out = {
        name: 100.0 * combine(item.probability for item in by_detector.values())
        for name, by_detector in table.items()
    }
    return {name: value for name, value in out.items() if value >= RECORD_FLOOR}


def fuse_outputs(outputs: Sequence[DetectorOutput], model_version: str) -> DetectionResult:
    """One image's detector outputs → a ``DetectionResult``."""
    evidence = [item for output in outputs for item in output.evidence]
    fused = fuse_labels(evidence)
    content = fuse_content_types(item for output in outputs for item in output.content_types)
    detections = ImageDetections(
        labels=ranked_labels({name: label.confidence for name, label in fused.items()}),
        content_types=tuple(
            ContentType(name, round(value, 4))
            for name, value in sorted(content.items(), key=lambda pair: -pair[1])
        ),
        text=tuple(
            text_line_from_json(item) for output in outputs for item in output.text_detections
        ),
        model_version=model_version,
    )
    content_evidence = [item for output in outputs for item in output.content_types]
    return DetectionResult(detections, tuple(evidence + content_evidence))
