"""Fusion: the evidence of several detectors → one confidence (0–100) per taxonomy v7 label.

A label's confidence means what Rekognition's does: how sure modgate is that the picture shows
it. Rules, in order (kept simple so a reviewer can follow a score back to its models):

1. Each detector counts once per label: its strongest evidence for that label.
2. One confident detector decides: the label's probability is the highest detector probability.
3. Agreement raises it: when two or more *independent* detectors each give at least
   ``CORROBORATION`` (0.5), the label gets their noisy-OR, ``1 - Π(1 - p)``. Weak evidence never
   adds up to a hit on its own, so safe images with a few low scores stay low. Whole-image
   classifiers (open_nsfw, nsfwjs) are one source, not two: they fire on the same skin tones
   and warm colours, so they never corroborate each other.
4. Whole-image scores need localized evidence. A score of the whole picture
   (``Evidence.whole_image``) for a label counts in full only when a localized detector (a
   NudeNet body part, an object) gives the label or one of its descendants at least ``SUPPORT``
   (0.3); the two are then independent signals, and the label and the labels between it and that
   descendant get their noisy-OR. Without such support a whole-image score stays at most
   ``CONTEXT_CAP`` (45): it annotates, and a policy may route it to review, but a policy acting
   at 50 never acts on it.
5. A body part needs a body: localized nudity evidence (under ``Explicit`` or ``Non-Explicit
   Nudity of Intimate parts and Kissing``) that every whole-image classifier contradicts (all
   below ``VETO``, 0.1, for both labels) stays at most ``CONTEXT_CAP`` as well. With no
   whole-image classifier installed the rule does not apply.
6. A label's ancestors are at least as confident as the label: an L3 hit raises its L2 and L1,
   and the whole ancestor chain is reported, as Rekognition does. With rules 4 and 5, a parent
   at 50 or more always comes with the child that justifies it, or with its own localized
   evidence (an object detector's ``Weapons``).

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

FUSION_VERSION = "2"
CORROBORATION = 0.5
SUPPORT = 0.3
CONTEXT_CAP = 0.45
VETO = 0.1
NUDITY_ROOTS = ("Explicit", "Non-Explicit Nudity of Intimate parts and Kissing")
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
    """Fused labels with ancestors included (rule 6), confidence in percent, floor applied."""
    tree = taxonomy or taxonomy_v7()
    table: dict[str, dict[str, Evidence]] = defaultdict(dict)
    for label, by_detector in strongest_per_detector(evidence).items():
        table[tree.canonical(label)].update(by_detector)
    local: dict[str, float] = {}
    whole: dict[str, float] = {}
    for name, by_detector in table.items():
        local[name] = combine(e.probability for e in by_detector.values() if not e.whole_image)
        scores = [e.probability for e in by_detector.values() if e.whole_image]
        if scores:
            whole[name] = max(scores)
    _veto_lone_body_parts(local, whole, tree)
    probability = dict(local)
    for name, whole_probability in whole.items():
        if whole_probability < VETO:  # it sees nothing: no corroboration, an annotation at most
            probability[name] = max(probability[name], whole_probability)
            continue
        support, descendant = max(
            ((local.get(other, 0.0), other) for other in _self_and_descendants(name, tree)),
            default=(0.0, name),
        )
        if support < SUPPORT:
            probability[name] = max(probability[name], min(whole_probability, CONTEXT_CAP))
            continue
        corroborated = 1.0 - (1.0 - support) * (1.0 - whole_probability)
        # The label itself and the labels between it and the supporting descendant.
        path = [name]
        if descendant != name:
            between = [label.name for label in tree.ancestors(descendant)]
            path = between[: between.index(name) + 1]
        for label_name in path:
            probability[label_name] = max(probability.get(label_name, 0.0), corroborated)
    fused = {
        name: FusedLabel(name, 100.0 * value, tuple(table.get(name, {}).values()))
        for name, value in probability.items()
    }
    for name in sorted(fused, key=lambda n: -tree.get(n).level):
        child = fused[name]
        for ancestor in tree.ancestors(name):
            existing = fused.get(ancestor.name)
            if existing is None or existing.confidence < child.confidence:
                sources = (existing.sources if existing else ()) + child.sources
                fused[ancestor.name] = FusedLabel(ancestor.name, child.confidence, sources)
    return {name: label for name, label in fused.items() if label.confidence >= RECORD_FLOOR}


def _self_and_descendants(name: str, tree: Taxonomy) -> list[str]:
    return [label.name for label in tree if name in {a.name for a in tree.lineage(label.name)}]


def _veto_lone_body_parts(local: dict[str, float], whole: dict[str, float], tree: Taxonomy) -> None:
    """Rule 5: cap localized nudity evidence every whole-image classifier contradicts."""
    nudity_whole = [whole[root] for root in NUDITY_ROOTS if root in whole]
    if not nudity_whole or max(nudity_whole) >= VETO:
        return
    for name, value in local.items():
        if tree.top_level(name).name in NUDITY_ROOTS and value > CONTEXT_CAP:
            local[name] = CONTEXT_CAP


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
