"""Evaluate the detectors on a folder a user has labelled: per label, precision, recall and
false-positive rate at each threshold, and a precision–recall curve PNG; and at the policy
threshold, the false-flag rate of every label any image got, with a 95 % confidence interval.

A folder of ordinary photos where every row is empty (``scripts/fetch_eval_corpus.py`` builds
one) measures exactly how often each label fires where it should not.

Labels file (CSV with a header): ``file,labels`` — the file name relative to the folder and the
v7 labels present, separated by ``;`` (empty for a safe image). A labelled L3 label makes its
L2 and L1 true as well, as Rekognition reports the chain.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from modgate.detection.engine import DetectionEngine
from modgate.errors import InvalidParameterException, ResourceNotFoundException
from modgate.taxonomy import taxonomy_v7

THRESHOLDS = tuple(range(5, 100, 5))
BATCH = 8
# The labels about nudity and sexual content: these two L1 labels and everything under them.
NUDITY_ROOTS = ("Explicit", "Non-Explicit Nudity of Intimate parts and Kissing")
ANY_LABEL = "(any label)"
ANY_NUDITY = "(any nudity or sexual label)"


@dataclass(frozen=True, slots=True)
class ThresholdStats:
    """Counts and rates of one label at one threshold."""

    threshold: float
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        positives = self.true_positives + self.false_negatives
        return self.true_positives / positives if positives else 0.0

    @property
    def false_positive_rate(self) -> float:
        negatives = self.false_positives + self.true_negatives
        return self.false_positives / negatives if negatives else 0.0


def wilson_interval(hits: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion ``hits / total`` (sound at 0 hits too)."""
    if total == 0:
        return 0.0, 1.0
    rate = hits / total
    denominator = 1 + z * z / total
    centre = (rate + z * z / (2 * total)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class FalseFlags:
    """How many images without ``label`` got it at or above the threshold."""

    label: str
    flagged: int
    negatives: int
    worst: tuple[tuple[str, float], ...]  # (file, confidence), highest first

    @property
    def rate(self) -> float:
        return self.flagged / self.negatives if self.negatives else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.flagged, self.negatives)


def nudity_labels() -> frozenset[str]:
    tree = taxonomy_v7()
    return frozenset(
        label.name
        for label in tree
        if any(ancestor.name in NUDITY_ROOTS for ancestor in tree.lineage(label.name))
    )


def false_flags(
    scores: Mapping[str, Mapping[str, float]],
    truth: Mapping[str, set[str]],
    threshold: float,
    worst: int = 3,
) -> list[FalseFlags]:
    """Per label any image got at ``threshold`` or above where it is not true, then the same for
    any label at all and for any nudity/sexual label (an image counts once in those two)."""
    groups: dict[str, frozenset[str] | None] = {ANY_LABEL: None, ANY_NUDITY: nudity_labels()}
    labels = sorted({label for by_label in scores.values() for label in by_label})
    rows = []
    for name in [*labels, *groups]:
        members = groups[name] if name in groups else frozenset((name,))
        hits: list[tuple[str, float]] = []
        negatives = 0
        for file, by_label in scores.items():
            wrong = {
                label: value
                for label, value in by_label.items()
                if label not in truth[file] and (members is None or label in members)
            }
            if members is not None and members & truth[file]:
                continue  # the image really has (one of) these labels
            negatives += 1
            top = max(wrong.values(), default=0.0)
            if top >= threshold:
                hits.append((file, top))
        hits.sort(key=lambda pair: -pair[1])
        if hits or name in groups:
            rows.append(FalseFlags(name, len(hits), negatives, tuple(hits[:worst])))
    return rows


def false_flag_lines(rows: Sequence[FalseFlags], threshold: float) -> list[str]:
    """The false-flag table as text, one row per label."""
    lines = [
        f"false flags at {threshold:g}: label | flagged/negatives | rate | 95% CI | worst",
    ]
    for row in rows:
        low, high = row.interval
        worst = ", ".join(f"{file} {value:.1f}" for file, value in row.worst)
        lines.append(
            f"{row.label} | {row.flagged}/{row.negatives} | {100 * row.rate:.2f}% | "
            f"{100 * low:.2f}–{100 * high:.2f}% | {worst}"
        )
    return lines


def read_labels(labels_file: Path) -> dict[str, set[str]]:
    """file name → the v7 labels true for it (ancestors added); unknown names are refused."""
    tree = taxonomy_v7()
    truth: dict[str, set[str]] = {}
    with labels_file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"file", "labels"} <= set(reader.fieldnames):
            raise InvalidParameterException(f"{labels_file}: the header must be 'file,labels'")
        for row in reader:
            names: set[str] = set()
            for name in filter(None, (part.strip() for part in (row["labels"] or "").split(";"))):
                names.update(label.name for label in tree.lineage(name))
            truth[row["file"]] = names
    return truth


def threshold_table(
    scores: Sequence[float], truth: Sequence[bool], thresholds: Sequence[float] = THRESHOLDS
) -> list[ThresholdStats]:
    """Confusion counts of one label at each threshold (flagged when score >= threshold)."""
    table = []
    for threshold in thresholds:
        flagged = [score >= threshold for score in scores]
        table.append(
            ThresholdStats(
                threshold,
                sum(f and t for f, t in zip(flagged, truth, strict=True)),
                sum(f and not t for f, t in zip(flagged, truth, strict=True)),
                sum(t and not f for f, t in zip(flagged, truth, strict=True)),
                sum(not f and not t for f, t in zip(flagged, truth, strict=True)),
            )
        )
    return table


def plot_pr_curve(label: str, table: Sequence[ThresholdStats], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 4))
    axes.plot([row.recall for row in table], [row.precision for row in table], marker="o")
    for row in table[::3]:
        axes.annotate(f"{row.threshold:g}", (row.recall, row.precision), fontsize=7)
    axes.set(
        xlabel="recall",
        ylabel="precision",
        xlim=(0, 1.02),
        ylim=(0, 1.02),
        title=f"{label} (points: thresholds)",
    )
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def run_evaluation(
    engine: DetectionEngine,
    folder: Path,
    labels_file: Path,
    output: Path,
    threshold: float = 50.0,
) -> str:
    """Detect every labelled image, write one PR-curve PNG per label, return a text report
    ending with the false-flag table at ``threshold``."""
    truth = read_labels(labels_file)
    if not truth:
        raise InvalidParameterException(f"{labels_file} labels no file")
    scores = detect_folder(engine, folder, list(truth))
    evaluated = sorted({label for names in truth.values() for label in names})
    output.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{len(truth)} images, model {engine.model_version}",
        "label | threshold | precision | recall | false-positive rate",
    ]
    for label in evaluated:
        table = threshold_table(
            [scores[name].get(label, 0.0) for name in truth],
            [label in truth[name] for name in truth],
        )
        for row in table:
            lines.append(
                f"{label} | {row.threshold:g} | {row.precision:.3f} | "
                f"{row.recall:.3f} | {row.false_positive_rate:.3f}"
            )
        file_name = f"pr-{label.replace(' ', '_').replace('&', 'and')}.png"
        plot_pr_curve(label, table, output / file_name)
    if evaluated:
        lines.append(f"PR curves written to {output}")
    lines.extend(false_flag_lines(false_flags(scores, truth, threshold), threshold))
    return "\n".join(lines)


def detect_folder(
    engine: DetectionEngine, folder: Path, names: Sequence[str]
) -> dict[str, dict[str, float]]:
    """file name → label → confidence, detected a few images at a time (they run concurrently)."""
    scores: dict[str, dict[str, float]] = {}
    for start in range(0, len(names), BATCH):
        chunk = names[start : start + BATCH]
        images = []
        for name in chunk:
            path = folder / name
            if not path.is_file():
                raise ResourceNotFoundException(f"{path} is labelled but does not exist")
            with Image.open(path) as image:
                images.append(image.convert("RGB"))
        for name, result in zip(chunk, engine.detect_frames(images), strict=True):
            scores[name] = {label.name: label.confidence for label in result.labels}
    return scores
