"""Video: sample frames (a fixed rate plus scene changes) with PyAV and detect them in batches.

Every frame is decoded once (frame-threaded). A 64×36 grey copy of a decoded frame is compared,
at most eight times per sampling interval, with the last sampled frame; a large difference adds a
sample between the regular ones, so a short shot is not missed. Frames are picked by presentation
time, so variable-frame-rate files are sampled evenly too. Decoding continues while the previous
batch is being detected. Turning timestamps into segments is the pipeline's job.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import av
import numpy as np
from PIL import Image

from modgate.errors import CorruptMediaException, NoVideoStreamException

if TYPE_CHECKING:
    from modgate.detection.engine import DetectionResult

BATCH = 4


class FrameDetector(Protocol):
    def detect_frames(self, frames: Sequence[Image.Image]) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class Sample:
    timestamp_ms: int
    image: Image.Image
    scene_change: bool = False


def sample_frames(
    path: str | Path, fps: float = 1.0, scene_threshold: float = 0.0
) -> Iterator[Sample]:
    """Frames every ``1 / fps`` s from the start, plus frames where the scene changes (mean
    absolute grey difference ≥ ``scene_threshold``, 0–1; 0 turns scene detection off)."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    step_ms = 1000.0 / fps
    min_gap_ms = step_ms / 4
    check_every_ms = step_ms / 8  # comparing every decoded frame would cost more than decoding
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise NoVideoStreamException()
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            next_regular, last_ms, last_check = 0.0, -1e9, -1e9
            last_grey: np.ndarray | None = None
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                now_ms = frame.time * 1000.0
                regular = now_ms + 0.5 >= next_regular
                grey: np.ndarray | None = None
                scene = False
                if scene_threshold > 0 and (regular or now_ms - last_check >= check_every_ms):
                    last_check = now_ms
                    small = frame.reformat(width=64, height=36, format="gray")
                    grey = np.asarray(small.to_ndarray(), dtype=np.int16)
                    if last_grey is not None and now_ms - last_ms >= min_gap_ms:
                        change = float(np.abs(grey - last_grey).mean()) / 255.0
                        scene = change >= scene_threshold
                if regular or scene:
                    image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
                    yield Sample(round(now_ms), image, scene and not regular)
                    last_ms = now_ms
                    if grey is not None:
                        last_grey = grey
                    while next_regular <= now_ms + 0.5:
                        next_regular += step_ms
    except av.error.FFmpegError as exc:
        raise CorruptMediaException(f"The video cannot be decoded: {exc}") from exc


def detect_samples(
    engine: FrameDetector, path: str | Path, fps: float = 1.0, scene_threshold: float = 0.0
) -> Iterator[tuple[Sample, DetectionResult]]:
    """Each sample with its labels, in time order; at most two batches are in flight, so memory
    stays flat however long the video is."""
    in_flight: deque[tuple[list[Sample], Future[list[Any]]]] = deque()
    with ThreadPoolExecutor(1, thread_name_prefix="modgate-video") as pool:

        def submit(batch: list[Sample]) -> None:
            in_flight.append((batch, pool.submit(engine.detect_frames, [s.image for s in batch])))

        batch: list[Sample] = []
        for sample in sample_frames(path, fps, scene_threshold):
            batch.append(sample)
            if len(batch) == BATCH:
                submit(batch)
                batch = []
                while len(in_flight) > 2:
                    done, future = in_flight.popleft()
                    yield from zip(done, future.result(), strict=True)
        if batch:
            submit(batch)
        while in_flight:
            done, future = in_flight.popleft()
            yield from zip(done, future.result(), strict=True)


def detect_video(
    engine: FrameDetector, path: str | Path, fps: float = 1.0, scene_threshold: float = 0.0
) -> Iterator[tuple[int, DetectionResult]]:
    """Labels of sampled frames, as ``(timestamp_ms, result)``."""
    for sample, result in detect_samples(engine, path, fps, scene_threshold):
        yield sample.timestamp_ms, result
