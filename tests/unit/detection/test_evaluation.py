"""Evaluation arithmetic on recorded scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from modgate.detection.evaluation import read_labels, threshold_table
from modgate.errors import UnknownLabelException


def test_threshold_table_counts_and_rates() -> None:
    scores = [90.0, 60.0, 40.0, 10.0]
    truth = [True, False, True, False]
    (at_50,) = threshold_table(scores, truth, [50])
    assert (
        at_50.true_positives,
        at_50.false_positives,
        at_50.false_negatives,
        at_50.true_negatives,
    ) == (1, 1, 1, 1)
    assert at_50.precision == 0.5 and at_50.recall == 0.5 and at_50.false_positive_rate == 0.5


def test_labels_file_adds_ancestors_and_refuses_unknown_names(tmp_path: Path) -> None:
    good = tmp_path / "labels.csv"
    good.write_text("file,labels\na.jpg,Exposed Male Nipple\nb.jpg,\n")
    truth = read_labels(good)
    assert truth["b.jpg"] == set()
    assert "Non-Explicit Nudity of Intimate parts and Kissing" in truth["a.jpg"]
    bad = tmp_path / "bad.csv"
    bad.write_text("file,labels\na.jpg,Weapon\n")
    with pytest.raises(UnknownLabelException, match="Weapons"):
        read_labels(bad)
