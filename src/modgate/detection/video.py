"""Video: sample frames (a fixed rate plus scene changes) with PyAV and detect them in batches.

Frames are decoded once (frame-threaded; for H.264/HEVC, non-reference frames are skipped). About
eight times per sampling interval, a 64×36 brightness grid read from the frame's luma plane is
compared with the previous one; a sudden large difference (a cut) adds a sample between the
regular ones, so a short shot is not missed. Frames are picked by presentation
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
MIN_SAMPLE_SIDE = 320


class FrameDetector(Protocol):
    def detect_frames(self, frames: Sequence[Image.Image]) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class Sample:
    timestamp_ms: int
    image: Image.Image
    scene_change: bool = False


# Codecs whose non-reference frames can be left undecoded: samples then land on the nearest
# reference frame (a few frames away at most), for about half the decoding work. Intra-only
# codecs are not listed: all their frames are "non-reference".
SKIP_NONREF_CODECS = frozenset({"h264", "hevc"})


def sample_frames(
    path: str | Path,
    fps: float = 1.0,
    scene_threshold: float = 0.0,
    max_side: int | None = None,
) -> Iterator[Sample]:
    """Frames every ``1 / fps`` s from the start, plus frames where the scene changes (mean
    absolute grey difference ≥ ``scene_threshold``, 0–1; 0 turns scene detection off).

    ``max_side`` converts sampled frames straight to that size (keeping the aspect ratio)
    instead of full resolution, for consumers such as detectors that need no more."""
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
            if stream.codec_context.name in SKIP_NONREF_CODECS:
                stream.codec_context.skip_frame = "NONREF"
            size = _fit(stream.codec_context.width, stream.codec_context.height, max_side)
            next_regular, last_ms, last_check = 0.0, -1e9, -1e9
            previous: np.ndarray | None = None  # brightness at the last check
            cut_pending = False
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                now_ms = frame.time * 1000.0
                regular = now_ms + 0.5 >= next_regular
                scene = False
                if scene_threshold > 0 and (regular or now_ms - last_check >= check_every_ms):
                    # A cut is a sudden change between two close checks; a slow pan or fade
                    # changes little from one check to the next and adds no samples.
                    last_check = now_ms
                    grey = _luma_thumbnail(frame)
                    if previous is not None:
                        change = float(np.abs(grey - previous).mean()) / 255.0
                        cut_pending = cut_pending or change >= scene_threshold
                    previous = grey
                    # A cut right after a sample is taken once the minimum gap has passed.
                    scene = cut_pending and now_ms - last_ms >= min_gap_ms
                if regular or scene:
                    # Scale in the frame's own pixel format, then convert: half the work of
                    # swscale's combined scale-and-convert path, with no loss of quality.
                    small = frame.reformat(size["width"], size["height"]) if size else frame
                    image: Image.Image = small.to_image()  # type: ignore[no-untyped-call]
                    yield Sample(round(now_ms), image, scene and not regular)
                    last_ms, cut_pending = now_ms, False
                    while next_regular <= now_ms + 0.5:
                        next_regular += step_ms
    except av.error.FFmpegError as exc:
        raise CorruptMediaException(f"The video cannot be decoded: {exc}") from exc


def _luma_thumbnail(frame: av.VideoFrame) -> np.ndarray:
    """About 64 × 36 samples of brightness, read straight from a YUV frame's luma plane (no
    colour conversion); other pixel formats go through a small conversion."""
    if frame.format.name in ("yuv420p", "yuvj420p", "yuv422p", "yuv444p", "nv12"):
        plane = frame.planes[0]
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
        luma = rows[: frame.height, : frame.width]
        step_y, step_x = max(1, frame.height // 36), max(1, frame.width // 64)
        return np.asarray(luma[::step_y, ::step_x][:36, :64], dtype=np.int16)
    small = frame.reformat(width=64, height=36, format="gray")
    return np.asarray(small.to_ndarray(), dtype=np.int16)


def _fit(width: int, height: int, max_side: int | None) -> dict[str, int]:
    if not max_side or not width or not height or max(width, height) <= max_side:
        return {}
    scale = max_side / max(width, height)
    return {"width": max(2, round(width * scale)), "height": max(2, round(height * scale))}


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
        # Frames as large as the detectors' largest input (each detector's own resize then
        # starts from there), never full 4K/1080p; never under MIN_SAMPLE_SIDE, which keeps
        # the review lane's thumbnails of flagged moments sharp.
        max_side = getattr(engine, "max_side", None)
        side = max(MIN_SAMPLE_SIDE, max_side) if max_side else None
        for sample in sample_frames(path, fps, scene_threshold, side):
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
