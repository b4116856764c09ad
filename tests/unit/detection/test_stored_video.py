"""A stored-video result as timeline entries: each lasts until the backend's next timestamp,
at most one sampling interval and never past the video's end; ancestors come along."""

from __future__ import annotations

from modgate.detection.base import DetectorOutput, Evidence
from modgate.detection.remote.base import StoredVideoResult
from modgate.detection.stored_video import timeline_entries


def at(label: str, probability: float) -> DetectorOutput:
    return DetectorOutput(evidence=[Evidence(label, probability, "rekognition")])


def test_entries_last_until_the_next_timestamp_at_most_one_interval() -> None:
    result = StoredVideoResult(
        "job",
        5_000,
        (
            (0, at("Smoking", 0.9)),
            (400, at("Smoking", 0.8)),
            (3_000, at("Corpses", 0.7)),
            (4_800, at("Corpses", 0.6)),
        ),
        "7.0",
    )
    entries = timeline_entries(result, "v", step_ms=1000, duration_ms=None)
    spans = {(e.start_ms, e.end_ms) for e in entries if e.label.name in ("Smoking", "Corpses")}
    assert spans == {(0, 400), (400, 1400), (3_000, 4_000), (4_800, 5_000)}
    names = {e.label.name for e in entries if e.start_ms == 0}
    assert names == {"Smoking", "Drugs & Tobacco Paraphernalia & Use", "Drugs & Tobacco"}
    assert {e.label.confidence for e in entries if e.start_ms == 0} == {90.0}
