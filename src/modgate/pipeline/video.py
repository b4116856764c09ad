"""Video moderation: sample frames (a fixed rate plus scene changes), detect them in batches,
and merge consecutive detections of a label into segments.

Every frame is decoded once (PyAV, frame-threaded); a 64×36 grey copy of each decoded frame is
compared with the last sampled one, and a large difference adds a sample between the regular
ones so a short shot is not missed. Results are stored per sampled timestamp (Rekognition's
``aggregate_by=TIMESTAMPS`` shape, each entry covering its time until the next sample), and
segments are derived from them on demand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np
from PIL import Image

from modgate.errors import CorruptMediaException

BATCH = 4


class FrameDetector(Protocol):
    model_version: str

    def detect_frames(self, frames: Sequence[Image.Image]) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class Sample:
    timestamp_ms: int
    image: Image.Image
    scene_change: bool = False


def sample_frames(path: Path, fps: float, scene_threshold: float) -> Iterator[Sample]:
    """Frames every ``1 / fps`` s from the start, plus frames where the scene changes."""
    step_ms = 1000.0 / fps
    min_gap_ms = step_ms / 4
    check_every_ms = step_ms / 8  # comparing every decoded frame would cost more than decoding
    last_check = -1e9
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            next_regular = 0.0
            last_ms = -1e9
            last_grey: np.ndarray | None = None
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                now_ms = frame.time * 1000.0
                regular = now_ms + 0.5 >= next_regular
                grey = None
                scene = False
                if scene_threshold > 0 and (regular or now_ms - last_check >= check_every_ms):
                    last_check = now_ms
                    grey = frame.reformat(width=64, height=36, format="gray").to_ndarray()
                    if last_grey is not None and now_ms - last_ms >= min_gap_ms:
                        change = float(np.abs(grey.astype(np.int16) - last_grey).mean()) / 255.0
                        scene = change >= scene_threshold
                if regular or scene:
                    yield Sample(round(now_ms), frame.to_image(), scene and not regular)
                    last_ms = now_ms
                    if grey is not None:
                        last_grey = grey.astype(np.int16)
                    while next_regular <= now_ms + 0.5:
                        next_regular += step_ms
    except av.error.FFmpegError as exc:
        raise CorruptMediaException(f"The video cannot be decoded: {exc}") from exc


def detect_video(engine: FrameDetector, path: Path, fps: float, scene_threshold: float,
                 duration_ms: int | None = None) -> tuple[list[dict[str, Any]], list[Sample]]:
    """Per-timestamp label entries (GetContentModeration's TIMESTAMPS shape) and the samples.

    Each entry covers its sample's time up to the next sample (``EndTimestampMillis``), which is
    what duration rules in policies measure.
    """
    samples = list(sample_frames(path, fps, scene_threshold))
    results: list[Any] = []
    for start in range(0, len(samples), BATCH):
        batch = samples[start:start + BATCH]
        results.extend(engine.detect_frames([sample.image for sample in batch]))
    entries: list[dict[str, Any]] = []
    step_ms = round(1000.0 / fps)
    for index, (sample, result) in enumerate(zip(samples, results, strict=True)):
        if index + 1 < len(samples):
            end = samples[index + 1].timestamp_ms
        else:
            end = min(sample.timestamp_ms + step_ms, duration_ms or sample.timestamp_ms + step_ms)
        end = max(end, sample.timestamp_ms + 1)
        for label in result.moderation_labels:
            entries.append({
                "Timestamp": sample.timestamp_ms,
                "ModerationLabel": dict(label),
                "StartTimestampMillis": sample.timestamp_ms,
                "EndTimestampMillis": end,
                "DurationMillis": end - sample.timestamp_ms,
                "ContentTypes": list(result.content_types),
            })
    return entries, samples


def segments(entries: Iterable[dict[str, Any]], min_confidence: float, gap_ms: int
             ) -> list[dict[str, Any]]:
    """Merge entries of the same label at or above ``min_confidence`` into segments.

    Two detections of a label join when the later starts at most ``gap_ms`` after the earlier
    ends. A segment's ``Timestamp`` and ``StartTimestampMillis`` are its first detection, its
    ``EndTimestampMillis`` the end of its last, its confidence the highest inside it.
    """
    by_label: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry["ModerationLabel"]["Confidence"] >= min_confidence:
            by_label.setdefault(entry["ModerationLabel"]["Name"], []).append(entry)
    merged: list[dict[str, Any]] = []
    for items in by_label.values():
        items.sort(key=lambda e: e["StartTimestampMillis"])
        current: dict[str, Any] | None = None
        for entry in items:
            if current and entry["StartTimestampMillis"] <= current["EndTimestampMillis"] + gap_ms:
                current["EndTimestampMillis"] = max(current["EndTimestampMillis"],
                                                    entry["EndTimestampMillis"])
                label = current["ModerationLabel"]
                label["Confidence"] = max(label["Confidence"],
                                          entry["ModerationLabel"]["Confidence"])
                current["_last"] = entry["StartTimestampMillis"]
            else:
                if current:
                    merged.append(current)
                current = {**entry, "ModerationLabel": dict(entry["ModerationLabel"]),
                           "_last": entry["StartTimestampMillis"]}
        if current:
            merged.append(current)
    for segment in merged:
        segment.pop("_last", None)
        segment["DurationMillis"] = segment["EndTimestampMillis"] - segment["StartTimestampMillis"]
    merged.sort(key=lambda s: (s["StartTimestampMillis"], s["ModerationLabel"]["Name"]))
    return merged


def flagged_timestamps(entries: Iterable[dict[str, Any]], min_confidence: float) -> list[int]:
    return sorted({e["Timestamp"] for e in entries
                   if e["ModerationLabel"]["Confidence"] >= min_confidence})
