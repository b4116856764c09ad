"""Evaluate the detectors on a folder a user has labelled: per label, precision, recall and
false-positive rate at each threshold, and a precision–recall curve PNG.

Labels file (CSV with a header): ``file,labels`` — the file name relative to the folder and the
v7 labels present, separated by ``;`` (empty for a safe image). A labelled L3 label makes its
L2 and L1 true as well, as Rekognition reports the chain.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from modgate.detection.engine import DetectionEngine
from modgate.errors import InvalidParameterException, ResourceNotFoundException
from modgate.taxonomy import taxonomy_v7

THRESHOLDS = tuple(range(5, 100, 5))


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


def run_evaluation(engine: DetectionEngine, folder: Path, labels_file: Path, output: Path) -> str:
    """Detect every labelled image, write one PR-curve PNG per label, return a text report."""
    truth = read_labels(labels_file)
    if not truth:
        raise InvalidParameterException(f"{labels_file} labels no file")
    scores: dict[str, dict[str, float]] = {}
    for name in truth:
        path = folder / name
        if not path.is_file():
            raise ResourceNotFoundException(f"{path} is labelled but does not exist")
        with Image.open(path) as image:
            result = engine.detect_image(image)
        scores[name] = {label.name: label.confidence for label in result.labels}
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
    lines.append(f"PR curves written to {output}")
    return "\n".join(lines)
