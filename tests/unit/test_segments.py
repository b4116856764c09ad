from __future__ import annotations

from modgate.moderation.timeline import segments


def entry(stamp: int, name: str, confidence: float, step: int = 1000) -> dict:  # type: ignore[type-arg]
    return {
        "Timestamp": stamp,
        "StartTimestampMillis": stamp,
        "EndTimestampMillis": stamp + step,
        "DurationMillis": step,
        "ModerationLabel": {
            "Name": name,
            "Confidence": confidence,
            "ParentName": "",
            "TaxonomyLevel": 1,
        },
    }


def test_consecutive_detections_merge_and_gaps_split() -> None:
    entries = [
        entry(0, "Violence", 80),
        entry(1000, "Violence", 95),
        entry(2000, "Violence", 40),
        entry(5000, "Violence", 70),
        entry(1000, "Alcohol", 60),
    ]
    merged = segments(entries, 50, gap_ms=500)
    violence = [s for s in merged if s["ModerationLabel"]["Name"] == "Violence"]
    assert [(s["StartTimestampMillis"], s["EndTimestampMillis"]) for s in violence] == [
        (0, 2000),
        (5000, 6000),
    ]
    assert violence[0]["ModerationLabel"]["Confidence"] == 95
    assert violence[0]["DurationMillis"] == 2000


def test_gap_tolerance_bridges_short_misses() -> None:
    entries = [entry(0, "Weapons", 90), entry(3000, "Weapons", 90)]
    assert len(segments(entries, 50, gap_ms=2500)) == 1
    assert len(segments(entries, 50, gap_ms=1000)) == 2
