"""Model-output → label mapping of the built-in detectors, on recorded outputs."""

from __future__ import annotations

import numpy as np
import pytest

from modgate.detection.detectors.hands import extension_ratios, middle_finger_strength
from modgate.detection.detectors.imagenet import CLASS_MAP, label_scores
from modgate.detection.detectors.nudenet import CLASSES, strongest_boxes
from modgate.taxonomy import taxonomy_v7


def probabilities(**by_index: float) -> np.ndarray:
    values = np.zeros(1000, dtype=np.float32)
    for index, value in by_index.items():
        values[int(index.removeprefix("c"))] = value
    return values


def test_imagenet_map_uses_real_v7_labels_and_unique_classes() -> None:
    tree = taxonomy_v7()
    assert all(row.label in tree for row in CLASS_MAP)
    assert {"Weapons", "Alcoholic Beverages", "Pills", "Gambling"} <= {r.label for r in CLASS_MAP}


def test_revolver_photo_is_a_weapon() -> None:
    # Recorded: a revolver photo gives revolver 0.98.
    assert label_scores(probabilities(c763=0.98, c764=0.01), CLASS_MAP)["Weapons"] == (
        pytest.approx(0.99)
    )


def test_rocket_launch_is_not_a_weapon() -> None:
    # Recorded on skimage's rocket: drilling platform 0.42, missile 0.12, projectile 0.07.
    scores = label_scores(probabilities(c540=0.42, c657=0.12, c744=0.07), CLASS_MAP)
    assert "Weapons" not in scores


def test_scanned_page_is_not_pills() -> None:
    # Recorded on skimage's page: pill bottle 0.65 (printed labels).
    assert "Pills" not in label_scores(probabilities(c720=0.65), CLASS_MAP)


def test_slot_machine_and_beer() -> None:
    scores = label_scores(probabilities(c800=0.7, c440=0.2), CLASS_MAP)
    assert scores == {"Gambling": pytest.approx(0.7), "Alcoholic Beverages": pytest.approx(0.2)}


def test_nudenet_decoding_keeps_the_best_box_per_class_in_image_pixels() -> None:
    output = np.zeros((4 + len(CLASSES), 3), dtype=np.float32)
    output[:4, 1] = [100, 50, 20, 10]  # centre x, centre y, width, height (model pixels)
    output[4 + CLASSES.index("FEMALE_BREAST_EXPOSED"), 1] = 0.8
    output[4 + CLASSES.index("FEMALE_BREAST_EXPOSED"), 2] = 0.3
    found = strongest_boxes(output, scale=2.0)
    assert list(found) == ["FEMALE_BREAST_EXPOSED"]
    score, box = found["FEMALE_BREAST_EXPOSED"]
    assert score == pytest.approx(0.8)
    assert box == pytest.approx([180, 90, 40, 20])


def hand(extended: set[str]) -> np.ndarray:
    """21 landmarks of a hand pointing up; listed fingers stretched, others curled."""
    points = np.zeros((21, 3))
    points[0] = [0.5, 0.9, 0]
    columns = {"index": 0.42, "middle": 0.5, "ring": 0.58, "pinky": 0.64}
    joints = {
        "index": (5, 6, 7, 8),
        "middle": (9, 10, 11, 12),
        "ring": (13, 14, 15, 16),
        "pinky": (17, 18, 19, 20),
    }
    for finger, (mcp, pip, dip, tip) in joints.items():
        x = columns[finger]
        points[mcp] = [x, 0.7, 0]
        points[pip] = [x, 0.6, 0]
        if finger in extended:
            points[dip], points[tip] = [x, 0.5, 0], [x, 0.4, 0]
        else:
            points[dip], points[tip] = [x, 0.65, 0], [x, 0.72, 0]
    points[1:5] = [0.4, 0.8, 0]
    return points


def test_middle_finger_rule() -> None:
    assert middle_finger_strength(extension_ratios(hand({"middle"}))) > 0.8
    assert middle_finger_strength(extension_ratios(hand({"index", "middle"}))) == 0.0
    assert middle_finger_strength(extension_ratios(hand(set()))) == 0.0
    assert middle_finger_strength(extension_ratios(hand({"index", "middle", "ring", "pinky"}))) == 0


def test_rule_holds_for_a_rotated_hand() -> None:
    points = hand({"middle"})
    angle = np.pi / 2
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points[:, :2] = points[:, :2] @ rotation.T
    assert middle_finger_strength(extension_ratios(points)) > 0.8
