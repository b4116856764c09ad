"""Video moderation timelines: per-timestamp label entries from sampled frames, and segments.

Results are stored per sampled timestamp (Rekognition's ``aggregate_by=TIMESTAMPS`` shape, each
entry covering its time until the next sample); segments are derived from them on demand
(``modgate.moderation.timeline``). Sampling and detection live in ``modgate.detection.video``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PIL import Image

from modgate.detection.video import Coverage, FrameDetector, Sample, detect_samples


def detect_video(
    engine: FrameDetector,
    path: Path,
    fps: float,
    scene_threshold: float,
    duration_ms: int | None = None,
    flag_floor: float = 50.0,
    thumbnail_side: int = 320,
    coverage: Coverage | None = None,
    progress: Callable[[], None] | None = None,
) -> tuple[list[dict[str, Any]], dict[int, Image.Image]]:
    """Per-timestamp label entries (GetContentModeration's TIMESTAMPS shape) and small copies of
    the flagged frames (any label at or above ``flag_floor``), by timestamp. Each entry covers
    its sample's time up to the next sample (``EndTimestampMillis``), which is what duration
    rules in policies measure. ``coverage`` is filled in with what damage kept from view;
    ``progress`` is called after each sample."""
    collected = Collected(flag_floor, thumbnail_side, progress)
    for sample, result in detect_samples(engine, path, fps, scene_threshold, coverage):
        collected.add(sample, result)
    entries = timeline_entries(collected.stamps, collected.results, fps, duration_ms)
    return entries, collected.thumbnails


class Collected:
    """Samples' stamps and labels in time order, and small copies of the flagged samples (any
    label at or above ``flag_floor``) by timestamp. ``progress`` is called after each sample
    (a long job renews its lease with it)."""

    def __init__(
        self,
        flag_floor: float,
        thumbnail_side: int,
        progress: Callable[[], None] | None = None,
    ) -> None:
        self.flag_floor = flag_floor
        self.thumbnail_side = thumbnail_side
        self.progress = progress
        self.stamps: list[int] = []
        self.results: list[Any] = []
        self.thumbnails: dict[int, Image.Image] = {}

    def add(self, sample: Sample, result: Any) -> None:
        self.stamps.append(sample.timestamp_ms)
        self.results.append(result)
        if any(label["Confidence"] >= self.flag_floor for label in result.moderation_labels):
            small = sample.image.copy()
            small.thumbnail((self.thumbnail_side, self.thumbnail_side))
            self.thumbnails[sample.timestamp_ms] = small
        if self.progress is not None:
            self.progress()


def timeline_entries(
    stamps: list[int], results: list[Any], fps: float, duration_ms: int | None
) -> list[dict[str, Any]]:
    """Per-timestamp entries: each sample's labels, covering its time until the next sample."""
    entries: list[dict[str, Any]] = []
    step_ms = round(1000.0 / fps)
    for index, (stamp, result) in enumerate(zip(stamps, results, strict=True)):
        if index + 1 < len(stamps):
            end = stamps[index + 1]
        else:
            end = min(stamp + step_ms, duration_ms or stamp + step_ms)
        end = max(end, stamp + 1)
        for label in result.moderation_labels:
            entries.append(
                {
                    "Timestamp": stamp,
                    "ModerationLabel": dict(label),
                    "StartTimestampMillis": stamp,
                    "EndTimestampMillis": end,
                    "DurationMillis": end - stamp,
                    "ContentTypes": list(result.content_types),
                }
            )
    return entries


def flagged_timestamps(entries: Iterable[dict[str, Any]], min_confidence: float) -> list[int]:
    return sorted(
        {e["Timestamp"] for e in entries if e["ModerationLabel"]["Confidence"] >= min_confidence}
    )
