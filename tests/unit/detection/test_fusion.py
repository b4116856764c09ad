"""Fusion and calibration on recorded detector outputs."""

from __future__ import annotations

import pytest

from modgate.detection.base import Calibration, DetectorOutput, Evidence
from modgate.detection.fusion import RECORD_FLOOR, combine, fuse_labels, fuse_outputs
from modgate.taxonomy.rekognition_json import image_body


def test_one_confident_detector_decides() -> None:
    assert combine([0.9, 0.1]) == pytest.approx(0.9)


def test_weak_evidence_never_adds_up_to_a_hit() -> None:
    # Three detectors each at 0.4 on a safe photo must not cross 50.
    assert combine([0.4, 0.4, 0.4]) == pytest.approx(0.4)


def test_agreeing_detectors_raise_confidence() -> None:
    assert combine([0.7, 0.6]) == pytest.approx(1 - 0.3 * 0.4)


def test_l3_hit_raises_its_l2_and_l1_with_whole_chain() -> None:
    fused = fuse_labels([Evidence("Exposed Female Nipple", 0.93, "nudenet")])
    assert set(fused) == {"Exposed Female Nipple", "Explicit Nudity", "Explicit"}
    assert fused["Explicit"].confidence == pytest.approx(93.0)


def test_parent_keeps_own_stronger_evidence() -> None:
    fused = fuse_labels(
        [
            Evidence("Exposed Female Nipple", 0.6, "nudenet"),
            Evidence("Explicit", 0.8, "nsfwjs"),
        ]
    )
    assert fused["Explicit"].confidence == pytest.approx(80.0)
    assert fused["Explicit Nudity"].confidence == pytest.approx(60.0)


def test_same_detector_counts_once_per_label() -> None:
    fused = fuse_labels(
        [
            Evidence("Exposed Buttocks or Anus", 0.6, "nudenet", "BUTTOCKS_EXPOSED"),
            Evidence("Exposed Buttocks or Anus", 0.55, "nudenet", "ANUS_EXPOSED"),
        ]
    )
    assert fused["Exposed Buttocks or Anus"].confidence == pytest.approx(60.0)


def test_labels_under_the_record_floor_are_dropped() -> None:
    fused = fuse_labels([Evidence("Gambling", RECORD_FLOOR / 200, "imagenet")])
    assert fused == {}


def test_result_is_rekognition_shaped_and_filters_by_min_confidence() -> None:
    outputs = [
        DetectorOutput(evidence=[Evidence("Exposed Male Nipple", 0.72, "nudenet")]),
        DetectorOutput(
            evidence=[Evidence("Alcoholic Beverages", 0.3, "imagenet")],
            content_types=[Evidence("Animated", 0.8, "nsfwjs")],
        ),
    ]
    result = fuse_outputs(outputs, "7.0+test")
    body = image_body(result.detections, 50)
    assert body["ModerationModelVersion"] == "7.0+test"
    assert [
        (label["Name"], label["ParentName"], label["TaxonomyLevel"])
        for label in body["ModerationLabels"]
    ] == [
        ("Non-Explicit Nudity of Intimate parts and Kissing", "", 1),
        ("Non-Explicit Nudity", "Non-Explicit Nudity of Intimate parts and Kissing", 2),
        ("Exposed Male Nipple", "Non-Explicit Nudity", 3),
    ]
    assert body["ContentTypes"] == [{"Name": "Animated", "Confidence": pytest.approx(80.0)}]
    assert "TextDetections" not in body
    assert {label["Name"] for label in image_body(result.detections, 20)["ModerationLabels"]} >= {
        "Alcohol",
        "Alcoholic Beverages",
    }
    assert result.confidence("Alcoholic Beverages") == pytest.approx(30.0)


def test_calibration_interpolates_and_refuses_decreasing_knots() -> None:
    calibration = Calibration(((0.0, 0.0), (0.5, 0.2), (1.0, 1.0)))
    assert calibration(0.25) == pytest.approx(0.1)
    assert calibration(0.75) == pytest.approx(0.6)
    with pytest.raises(ValueError):
        Calibration(((0.0, 0.5), (1.0, 0.2)))
