"""Video moderation: sample frames (a fixed rate plus scene changes), detect them in batches,
and merge consecutive detections of a label into segments.

Every frame is decoded once (PyAV, frame-threaded); a 64×36 grey copy of each decoded frame is
compared with the last sampled one, and a large difference adds a sample between the regular
ones so a short shot is not missed. Results are stored per sampled timestamp (Rekognition's
``aggregate_by=TIMESTAMPS`` shape, each entry covering its time until the next sample), and
segments are derived from them on demand.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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
                    yield Sample(round(now_ms), frame.to_image(), scene and not regular)  # type: ignore[no-untyped-call]
                    last_ms = now_ms
                    if grey is not None:
                        last_grey = grey.astype(np.int16)
                    while next_regular <= now_ms + 0.5:
                        next_regular += step_ms
    except av.error.FFmpegError as exc:
        raise CorruptMediaException(f"The video cannot be decoded: {exc}") from exc


def detect_video(
    engine: FrameDetector,
    path: Path,
    fps: float,
    scene_threshold: float,
    duration_ms: int | None = None,
    flag_floor: float = 50.0,
    thumbnail_side: int = 320,
) -> tuple[list[dict[str, Any]], dict[int, Image.Image]]:
    """Per-timestamp label entries (GetContentModeration's TIMESTAMPS shape) and small copies of
    the flagged frames (any label at or above ``flag_floor``), by timestamp.

    Decoding runs while the previous batch is being detected; at most two batches are in flight,
    and only thumbnails of flagged frames are kept, so memory stays flat for long videos. Each
    entry covers its sample's time up to the next sample (``EndTimestampMillis``), which is what
    duration rules in policies measure.
    """
    stamps: list[int] = []
    results: list[Any] = []
    thumbnails: dict[int, Image.Image] = {}
    in_flight: deque[tuple[list[Sample], Future[list[Any]]]] = deque()

    def collect() -> None:
        batch, future = in_flight.popleft()
        for sample, result in zip(batch, future.result(), strict=True):
            stamps.append(sample.timestamp_ms)
            results.append(result)
            if any(label["Confidence"] >= flag_floor for label in result.moderation_labels):
                small = sample.image.copy()
                small.thumbnail((thumbnail_side, thumbnail_side))
                thumbnails[sample.timestamp_ms] = small

    with ThreadPoolExecutor(1, thread_name_prefix="modgate-video") as pool:
        batch: list[Sample] = []
        for sample in sample_frames(path, fps, scene_threshold):
            batch.append(sample)
            if len(batch) == BATCH:
                in_flight.append(
                    (batch, pool.submit(engine.detect_frames, [s.image for s in batch]))
                )
                batch = []
                if len(in_flight) > 2:
                    collect()
        if batch:
            in_flight.append((batch, pool.submit(engine.detect_frames, [s.image for s in batch])))
        while in_flight:
            collect()
    return _entries(stamps, results, fps, duration_ms), thumbnails


def _entries(
    stamps: list[int], results: list[Any], fps: float, duration_ms: int | None
) -> list[dict[str, Any]]:
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


def segments(
    entries: Iterable[dict[str, Any]], min_confidence: float, gap_ms: int
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
                current["EndTimestampMillis"] = max(
                    current["EndTimestampMillis"], entry["EndTimestampMillis"]
                )
                label = current["ModerationLabel"]
                label["Confidence"] = max(
                    label["Confidence"], entry["ModerationLabel"]["Confidence"]
                )
                current["_last"] = entry["StartTimestampMillis"]
            else:
                if current:
                    merged.append(current)
                current = {
                    **entry,
                    "ModerationLabel": dict(entry["ModerationLabel"]),
                    "_last": entry["StartTimestampMillis"],
                }
        if current:
            merged.append(current)
    for segment in merged:
        segment.pop("_last", None)
        segment["DurationMillis"] = segment["EndTimestampMillis"] - segment["StartTimestampMillis"]
    merged.sort(key=lambda s: (s["StartTimestampMillis"], s["ModerationLabel"]["Name"]))
    return merged


def flagged_timestamps(entries: Iterable[dict[str, Any]], min_confidence: float) -> list[int]:
    return sorted(
        {e["Timestamp"] for e in entries if e["ModerationLabel"]["Confidence"] >= min_confidence}
    )
