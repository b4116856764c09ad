"""Evaluation arithmetic on recorded scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from modgate.detection.evaluation import (
    ANY_LABEL,
    ANY_NUDITY,
    false_flag_lines,
    false_flags,
    read_labels,
    threshold_table,
    wilson_interval,
)
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


def test_wilson_interval_is_sound_at_zero_and_narrows_with_more_images() -> None:
    low, high = wilson_interval(0, 346)
    assert low == 0.0 and 0.005 < high < 0.02
    assert wilson_interval(5, 100)[0] < 0.05 < wilson_interval(5, 100)[1]
    narrow = wilson_interval(50, 1000)
    assert narrow[1] - narrow[0] < wilson_interval(5, 100)[1] - wilson_interval(5, 100)[0]


def test_false_flags_per_label_and_for_any_nudity_label() -> None:
    scores = {
        "wood.jpg": {"Explicit": 93.0},
        "cat.jpg": {"Explicit": 20.0, "Weapons": 60.0, "Violence": 60.0},
        "beach.jpg": {"Swimwear or Underwear": 70.0},
        "lake.jpg": {},
    }
    truth: dict[str, set[str]] = {name: set() for name in scores}
    truth["beach.jpg"] = {"Swimwear or Underwear"}
    rows = {row.label: row for row in false_flags(scores, truth, 50)}
    assert (rows["Explicit"].flagged, rows["Explicit"].negatives) == (1, 4)
    assert rows["Explicit"].worst == (("wood.jpg", 93.0),)
    assert (rows["Weapons"].flagged, rows["Violence"].flagged) == (1, 1)
    assert "Swimwear or Underwear" not in rows  # it is true where it fired
    assert (rows[ANY_NUDITY].flagged, rows[ANY_NUDITY].negatives) == (1, 4)
    assert (rows[ANY_LABEL].flagged, rows[ANY_LABEL].negatives) == (2, 4)
    lines = false_flag_lines(list(rows.values()), 50)
    assert any(line.startswith("Explicit | 1/4 | 25.00% |") for line in lines)
