"""Timeline entries merged into segments: what the video labels API answers with
``AggregateBy=SEGMENTS`` and what a moderation shows as its flagged moments."""

from __future__ import annotations

from typing import Any

from modgate.taxonomy.detections import ContentType, Label, Timeline, TimelineEntry
from modgate.taxonomy.rekognition_json import entry_to_json, segments_json


def entry(stamp: int, name: str, confidence: float, step: int = 1000) -> dict[str, Any]:
    """A timeline entry as the pipeline stores it."""
    return {
        "Timestamp": stamp,
        "ModerationLabel": {
            "Confidence": confidence,
            "Name": name,
            "ParentName": "",
            "TaxonomyLevel": 1,
        },
        "StartTimestampMillis": stamp,
        "EndTimestampMillis": stamp + step,
        "DurationMillis": step,
        "ContentTypes": [{"Name": "Animated", "Confidence": 88.0}],
    }


def test_consecutive_detections_merge_and_gaps_split() -> None:
    entries = [
        entry(0, "Violence", 80),
        entry(1000, "Violence", 95),
        entry(2000, "Violence", 40),
        entry(5000, "Violence", 70),
        entry(1000, "Alcohol", 60),
    ]
    merged = segments_json(entries, 50, gap_ms=500)
    violence = [s for s in merged if s["ModerationLabel"]["Name"] == "Violence"]
    assert [(s["StartTimestampMillis"], s["EndTimestampMillis"]) for s in violence] == [
        (0, 2000),
        (5000, 6000),
    ]
    assert violence[0]["ModerationLabel"]["Confidence"] == 95
    assert violence[0]["DurationMillis"] == 2000
    assert [s["ModerationLabel"]["Name"] for s in merged] == ["Violence", "Alcohol", "Violence"]


def test_a_segment_keeps_the_shape_and_key_order_of_its_first_entry() -> None:
    merged = segments_json([entry(0, "Weapons", 90), entry(1000, "Weapons", 91)], 50, 0)
    expected = entry(0, "Weapons", 91)
    expected.update(EndTimestampMillis=2000, DurationMillis=2000)
    assert merged == [expected]
    assert [list(item) for item in merged] == [list(expected)]
    assert list(merged[0]["ModerationLabel"]) == list(expected["ModerationLabel"])


def test_gap_tolerance_bridges_short_misses() -> None:
    entries = [entry(0, "Weapons", 90), entry(3000, "Weapons", 90)]
    assert len(segments_json(entries, 50, gap_ms=2500)) == 1
    assert len(segments_json(entries, 50, gap_ms=1000)) == 2


def test_typed_timeline_segments_and_peaks() -> None:
    animated = (ContentType("Animated", 88.0),)
    timeline = Timeline(
        (
            TimelineEntry(0, 1000, Label("Weapons", 70.0, "Violence", 2), animated),
            TimelineEntry(1000, 2000, Label("Weapons", 90.0, "Violence", 2), animated),
            TimelineEntry(1000, 2000, Label("Violence", 90.0, "", 1)),
        )
    )
    weapons, violence = timeline.segments(50, gap_ms=0)
    assert (weapons.start_ms, weapons.end_ms, weapons.label.confidence) == (0, 2000, 90.0)
    assert weapons.content_types == animated and violence.start_ms == 1000
    assert entry_to_json(weapons)["DurationMillis"] == 2000
    assert [(label.name, label.confidence) for label in timeline.peak_labels()] == [
        ("Weapons", 90.0),
        ("Violence", 90.0),
    ]
    assert timeline.flagged_timestamps(80) == [1000]
