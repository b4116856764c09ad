"""Video: sample frames at a fixed rate with PyAV and detect them in small batches.

Yields ``(timestamp_ms, DetectionResult)`` pairs in time order; turning them into segments is the
pipeline's job. Frames are picked by presentation time, so variable-frame-rate files are
sampled evenly too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import av
from PIL import Image

from modgate.errors import CorruptMediaException, NoVideoStreamException

if TYPE_CHECKING:
    from modgate.detection.engine import DetectionEngine, DetectionResult

BATCH = 4


def sample_frames(path: str | Path, fps: float = 1.0) -> Iterator[tuple[int, Image.Image]]:
    """``(timestamp_ms, frame)`` every ``1 / fps`` seconds, starting with the first frame."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    step = 1.0 / fps
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise NoVideoStreamException()
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            next_time = 0.0
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                if frame.time + 1e-6 >= next_time:
                    yield round(frame.time * 1000), frame.to_image()  # type: ignore[no-untyped-call]
                    while next_time <= frame.time + 1e-6:
                        next_time += step
    except av.error.FFmpegError as exc:
        raise CorruptMediaException(f"the video cannot be decoded: {exc}") from exc


def detect_video(
    engine: DetectionEngine, path: str | Path, fps: float = 1.0
) -> Iterator[tuple[int, DetectionResult]]:
    """Labels of frames sampled every ``1 / fps`` seconds, as ``(timestamp_ms, result)``."""
    pending: list[tuple[int, Image.Image]] = []
    for item in sample_frames(path, fps):
        pending.append(item)
        if len(pending) == BATCH:
            yield from _flush(engine, pending)
            pending = []
    if pending:
        yield from _flush(engine, pending)


def _flush(
    engine: DetectionEngine, pending: list[tuple[int, Image.Image]]
) -> Iterator[tuple[int, DetectionResult]]:
    results = engine.detect_frames([frame for _, frame in pending])
    for (timestamp, _), result in zip(pending, results, strict=True):
        yield timestamp, result
