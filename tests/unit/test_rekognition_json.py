"""Rekognition JSON in and out: stored rows read back into typed detections and written again
byte for byte, and the shapes users hand the policy tools."""

from __future__ import annotations

import json
from typing import Any

from modgate.taxonomy.detections import (
    ContentType,
    ImageDetections,
    Label,
    TextLine,
    Timeline,
    TimelineEntry,
    Unchecked,
)
from modgate.taxonomy.rekognition_json import (
    detections_from_json,
    image_body,
    moderation_columns,
    moderation_detections,
    stored_detections_from_json,
    stored_detections_to_json,
)

LABELS = [
    {
        "Confidence": 97.1234,
        "Name": "Exposed Female Nipple",
        "ParentName": "Explicit Nudity",
        "TaxonomyLevel": 3,
    },
    {
        "Confidence": 97.1234,
        "Name": "Explicit Nudity",
        "ParentName": "Explicit",
        "TaxonomyLevel": 2,
    },
    {"Confidence": 97.1234, "Name": "Explicit", "ParentName": "", "TaxonomyLevel": 1},
    {"Confidence": 12.5, "Name": "Violence", "ParentName": "", "TaxonomyLevel": 1},
]
CONTENT_TYPES = [{"Name": "Illustrated", "Confidence": 81.25}]
OCR_LINE = {
    "DetectedText": "call 555-1234",
    "Type": "LINE",
    "Id": 0,
    "Confidence": 93.5,
    "Geometry": {
        "BoundingBox": {"Width": 0.5, "Height": 0.1, "Left": 0.25, "Top": 0.4},
        "Polygon": [{"X": 0.25, "Y": 0.4}, {"X": 0.75, "Y": 0.4}, {"X": 0.75, "Y": 0.5}],
    },
}
STORED_IMAGE = {
    "kind": "image",
    "ModerationModelVersion": "7.0+fusion3:marker-1",
    "ModerationLabels": LABELS,
    "ContentTypes": CONTENT_TYPES,
    "TextDetections": [
        OCR_LINE,
        {"DetectedText": "call", "Type": "WORD", "Id": 1, "ParentId": 0, "Confidence": 93.5},
    ],
}
ENTRY = {
    "Timestamp": 2000,
    "ModerationLabel": LABELS[1],
    "StartTimestampMillis": 2000,
    "EndTimestampMillis": 3000,
    "DurationMillis": 1000,
    "ContentTypes": CONTENT_TYPES,
}
STORED_TIMELINE = {
    "kind": "timeline",
    "ModerationModelVersion": "7.0+fusion3:marker-1",
    "entries": [ENTRY, {**ENTRY, "ModerationLabel": LABELS[2]}],
    "thumbnails": {"2000": "thumbnails/ab/abc/2000.jpg"},
    "unchecked": {
        "unchecked_ms": 4200,
        "damaged_packets": 7,
        "reason": "4.2 s of 10.0 s could not be decoded and were not checked (7 damaged packets)",
    },
}


def same_bytes(one: Any, other: Any) -> bool:
    return json.dumps(one) == json.dumps(other)


def test_stored_detections_round_trip_byte_for_byte() -> None:
    for stored in (STORED_IMAGE, STORED_TIMELINE, {**STORED_TIMELINE, "unchecked": None}):
        stored = {key: value for key, value in stored.items() if value is not None}
        assert same_bytes(stored_detections_to_json(stored_detections_from_json(stored)), stored)


def test_stored_rows_read_as_typed_values() -> None:
    image = stored_detections_from_json(STORED_IMAGE)
    assert isinstance(image, ImageDetections)
    assert image.labels[0] == Label("Exposed Female Nipple", 97.1234, "Explicit Nudity", 3)
    assert image.content_types == (ContentType("Illustrated", 81.25),)
    assert [line.text for line in image.lines()] == ["call 555-1234"]
    assert image.text[1] == TextLine("call", 93.5, "WORD", 1, 0)
    timeline = stored_detections_from_json(STORED_TIMELINE)
    assert isinstance(timeline, Timeline)
    assert timeline.entries[0].start_ms == 2000 and timeline.entries[0].end_ms == 3000
    assert timeline.thumbnails == {2000: "thumbnails/ab/abc/2000.jpg"}
    assert timeline.unchecked == Unchecked(4200, 7, STORED_TIMELINE["unchecked"]["reason"])


def test_moderation_rows_hold_labels_or_entries() -> None:
    image = stored_detections_from_json(STORED_IMAGE)
    assert same_bytes(moderation_columns(image), (LABELS, CONTENT_TYPES))
    timeline = stored_detections_from_json(STORED_TIMELINE)
    assert same_bytes(moderation_columns(timeline), (STORED_TIMELINE["entries"], []))
    # Animations are stored with kind "image" and timeline entries.
    assert moderation_detections("image", STORED_TIMELINE["entries"]) == Timeline(timeline.entries)
    assert moderation_detections("video", []) == Timeline()
    assert moderation_detections("image", LABELS, CONTENT_TYPES, "m") == ImageDetections(
        image.labels, image.content_types, (), "m"
    )
    with_text = moderation_detections("image", LABELS, None, "m", STORED_IMAGE)
    assert isinstance(with_text, ImageDetections) and with_text.text == image.text


def test_detect_moderation_labels_body_applies_min_confidence() -> None:
    image = stored_detections_from_json(STORED_IMAGE)
    assert isinstance(image, ImageDetections)
    body = image_body(image, 50.0)
    assert list(body) == [
        "ModerationLabels",
        "ModerationModelVersion",
        "ContentTypes",
        "TextDetections",
    ]
    assert [label["Name"] for label in body["ModerationLabels"]] == [
        "Exposed Female Nipple",
        "Explicit Nudity",
        "Explicit",
    ]
    assert same_bytes(body["TextDetections"][0], OCR_LINE)
    assert "TextDetections" not in image_body(ImageDetections(image.labels))


def test_what_users_hand_the_policy_tools() -> None:
    assert detections_from_json(LABELS) == ImageDetections(
        stored_detections_from_json(STORED_IMAGE).labels  # type: ignore[union-attr]
    )
    points = [{"Timestamp": 500, "ModerationLabel": {"Name": "Violence", "Confidence": 80}}]
    assert detections_from_json({"ModerationLabels": points, "JobStatus": "SUCCEEDED"}) == (
        Timeline((TimelineEntry(500, None, Label("Violence", 80)),))
    )
    durations = [{**points[0], "DurationMillis": 250}]
    timeline = detections_from_json(durations)
    assert isinstance(timeline, Timeline) and timeline.entries[0].end_ms == 750
    assert detections_from_json({"Text": ["a", "b\nc"]}) == ImageDetections(
        text=(TextLine("a"), TextLine("b"), TextLine("c"))
    )
    assert detections_from_json(STORED_TIMELINE) == stored_detections_from_json(STORED_TIMELINE)


def test_labels_given_apart_replace_the_bodys_own() -> None:
    """A policy test case's ``labels`` shorthand beside its ``detections``: the text and the
    content types stay, the labels are the shorthand's."""
    body = {
        "ModerationLabels": LABELS,
        "ContentTypes": [{"Name": "Animated", "Confidence": 88.0}],
        "TextDetections": [{"DetectedText": "sale", "Type": "LINE", "Confidence": 97.0}],
    }
    violence = (Label("Violence", 81.0, "", 1),)
    assert detections_from_json(body, violence) == ImageDetections(
        violence, (ContentType("Animated", 88.0),), (TextLine("sale", 97.0),)
    )
    assert detections_from_json(body, ()) == ImageDetections(
        (), (ContentType("Animated", 88.0),), (TextLine("sale", 97.0),)
    )
