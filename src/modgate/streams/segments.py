"""Segments of a live stream, built sample by sample with the same rule as a file's timeline.

``Timeline.segments`` (``modgate.taxonomy.detections``) merges a finished video's entries: each
sample's label covers its time until the next sample, and two entries of a label join when the
later starts at most ``gap_ms`` after the earlier ends. ``SegmentTracker`` applies that rule as
samples arrive, so a segment opens with the first sample that shows its label and closes as soon
as no later sample could still join it (a sample without the label at or past its end plus the
gap). Run over a whole stream it gives exactly the segments ``Timeline.segments`` gives for the
same samples (``tests/unit/streams/test_segments.py`` checks that).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from modgate.taxonomy.detections import Label


@dataclass(frozen=True, slots=True)
class OpenSegment:
    """A label on screen since ``start_ms``; ``last_start_ms``: the last sample that showed it,
    whose entry lasts until ``last_ms`` (the next sample's time once known). ``key``: the
    stored row's id (None until it is stored)."""

    label: Label
    start_ms: int
    last_start_ms: int
    last_ms: int
    key: str | None = None


@dataclass(frozen=True, slots=True)
class SegmentChanges:
    """What one sample changed: segments that opened, went on (longer or more confident), and
    closed (with their final ``last_ms`` as the end)."""

    started: tuple[OpenSegment, ...] = ()
    extended: tuple[OpenSegment, ...] = ()
    ended: tuple[OpenSegment, ...] = ()


class SegmentTracker:
    """The open segments of one stream. ``min_confidence``: a label below it opens nothing."""

    def __init__(
        self, gap_ms: int, min_confidence: float, opened: Iterable[OpenSegment] = ()
    ) -> None:
        self.gap_ms = gap_ms
        self.min_confidence = min_confidence
        self.open: dict[str, OpenSegment] = {segment.label.name: segment for segment in opened}
        # Segments handed over (a worker taking the stream over) keep the end they had: the
        # samples between are not known, so none stretches a segment over the gap.
        self.previous_ms: int | None = None

    def observe(self, at_ms: int, labels: Iterable[Label], step_ms: int) -> SegmentChanges:
        """A sample at ``at_ms`` showing ``labels``; its entry is taken to last ``step_ms``
        until the next sample tells its real end."""
        shown: Mapping[str, Label] = {
            label.name: label for label in labels if label.confidence >= self.min_confidence
        }
        started: list[OpenSegment] = []
        extended: list[OpenSegment] = []
        ended: list[OpenSegment] = []
        for name, segment in list(self.open.items()):
            if segment.last_start_ms == self.previous_ms:  # its entry lasted until this sample
                segment = replace(segment, last_ms=max(at_ms, segment.last_start_ms + 1))
                self.open[name] = segment
            if name not in shown and at_ms >= segment.last_ms + self.gap_ms:
                ended.append(self.open.pop(name))
        for name, label in shown.items():
            until = at_ms + max(step_ms, 1)
            segment_now = self.open.get(name)
            if segment_now is not None and at_ms > segment_now.last_ms + self.gap_ms:
                ended.append(self.open.pop(name))
                segment_now = None
            if segment_now is None:
                opened = OpenSegment(label, at_ms, at_ms, until)
                self.open[name] = opened
                started.append(opened)
                continue
            peak = segment_now.label
            if label.confidence > peak.confidence:
                peak = replace(peak, confidence=label.confidence)
            segment_now = replace(segment_now, label=peak, last_start_ms=at_ms, last_ms=until)
            self.open[name] = segment_now
            extended.append(segment_now)
        self.previous_ms = at_ms
        return SegmentChanges(tuple(started), tuple(extended), tuple(ended))

    def keyed(self, name: str, key: str) -> None:
        """Remember the stored row of the open segment of label ``name``."""
        self.open[name] = replace(self.open[name], key=key)

    def close_all(self, end_ms: int | None = None) -> tuple[OpenSegment, ...]:
        """Every open segment, closed (the stream ended); none goes past ``end_ms``."""
        closed = []
        for segment in self.open.values():
            if end_ms is not None and segment.last_ms > end_ms:
                segment = replace(segment, last_ms=max(end_ms, segment.last_start_ms + 1))
            closed.append(segment)
        self.open.clear()
        return tuple(closed)
