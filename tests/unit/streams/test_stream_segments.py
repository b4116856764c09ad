"""Segments built sample by sample match the segments of the same samples as a file's timeline
(``Timeline.segments``): same labels, starts, ends and peak confidences; and each closes as
soon as no later sample could join it."""

from __future__ import annotations

import random

import pytest

from modgate.streams.segments import OpenSegment, SegmentTracker
from modgate.taxonomy.detections import Label, Timeline, TimelineEntry

NAMES = ("Violence", "Weapons", "Explicit Nudity")


def _samples(seed: int) -> list[tuple[int, list[Label]]]:
    """Samples at irregular times (scene cuts between regular ones), labels on and off."""
    rng = random.Random(seed)
    at, samples = 0, []
    for _ in range(rng.randint(1, 60)):
        labels = [
            Label(name, rng.choice((30.0, 60.0, 80.0, 97.0)))
            for name in NAMES
            if rng.random() < 0.4
        ]
        samples.append((at, labels))
        at += rng.choice((250, 500, 1000, 1000, 1000, 3000))
    return samples


def _timeline_segments(
    samples: list[tuple[int, list[Label]]], step: int, gap: int
) -> list[tuple[str, int, int, float]]:
    entries = []
    for index, (at, labels) in enumerate(samples):
        end = samples[index + 1][0] if index + 1 < len(samples) else at + step
        entries += [TimelineEntry(at, max(end, at + 1), label) for label in labels]
    found = Timeline(tuple(entries)).segments(50.0, gap)
    return sorted((s.label.name, s.start_ms, s.until_ms, s.label.confidence) for s in found)


def _tracked(
    samples: list[tuple[int, list[Label]]], step: int, gap: int
) -> list[tuple[str, int, int, float]]:
    tracker = SegmentTracker(gap, 50.0)
    closed: list[OpenSegment] = []
    for at, labels in samples:
        changes = tracker.observe(at, labels, step)
        closed += changes.ended
    closed += tracker.close_all()
    return sorted((s.label.name, s.start_ms, s.last_ms, s.label.confidence) for s in closed)


@pytest.mark.parametrize("seed", range(200))
def test_live_segments_are_the_files_segments(seed: int) -> None:
    samples = _samples(seed)
    assert _tracked(samples, 1000, 1500) == _timeline_segments(samples, 1000, 1500)


def test_a_segment_closes_once_no_later_sample_could_join_it() -> None:
    tracker = SegmentTracker(1500, 50.0)
    violence = [Label("Violence", 90.0)]
    assert [s.start_ms for s in tracker.observe(0, violence, 1000).started] == [0]
    assert tracker.observe(1000, violence, 1000).ended == ()
    assert tracker.observe(2000, [], 1000).ended == ()  # 2000 < 2000 + 1500: may still join
    assert tracker.observe(3000, [], 1000).ended == ()
    ended = tracker.observe(4000, [], 1000).ended  # 4000 ≥ 2000 + 1500
    assert [(s.start_ms, s.last_ms) for s in ended] == [(0, 2000)]


def test_a_label_under_the_floor_opens_nothing() -> None:
    tracker = SegmentTracker(1500, 50.0)
    assert tracker.observe(0, [Label("Violence", 49.9)], 1000).started == ()


def test_a_segment_handed_over_is_not_stretched_over_the_gap() -> None:
    violence = Label("Violence", 90.0)
    handed = OpenSegment(violence, 3000, 7000, 7500, "seg_1")
    tracker = SegmentTracker(1500, 50.0, [handed])
    ended = tracker.observe(12000, [], 1000).ended
    assert [(s.key, s.start_ms, s.last_ms) for s in ended] == [("seg_1", 3000, 7500)]
