"""Video: detect sampled frames (``modgate.detection.video_sampling``) in batches.

Decoding continues while the previous batch is being detected. Samples become a timeline
(entries, segments) in ``modgate.detection.timeline``.

Reuse: a sample whose picture barely differs from the last one the models ran on (the largest
block difference of two small colour thumbnails under ``reuse_threshold``), with no scene cut
since, takes that sample's detections instead of running the models again; a cut or a change
always runs them. A still scene of a minute costs one detection instead of sixty.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from modgate.detection.result import DetectionResult
from modgate.detection.settings import REUSE_THRESHOLD
from modgate.detection.video_sampling import Coverage, Sample, sample_frames
from modgate.taxonomy.detections import TextFindings

BATCH = 4
MIN_SAMPLE_SIDE = 320


class FrameDetector(Protocol):
    """What sampling needs of a detection engine (``DetectionEngine`` is one): its model
    version, the largest input side of its detectors, the results of a batch of frames, and
    the text detectors for text read in samples."""

    @property
    def model_version(self) -> str: ...

    @property
    def max_side(self) -> int | None: ...

    def detect_frames(self, frames: Sequence[Image.Image]) -> Sequence[DetectionResult]: ...

    def detect_text(
        self,
        texts: Sequence[str],
        source: str = "text",
        language: str | None = None,
        timestamps: Sequence[int | None] | None = None,
    ) -> list[TextFindings]:
        """What the text detectors find in each text (text read in samples, here)."""
        ...


SIGNATURE_SIDE = 32
SIGNATURE_BLOCKS = 4


@dataclass(slots=True)
class ReuseStats:
    """How many samples ran the models and how many reused an earlier sample's detections."""

    detected: int = 0
    reused: int = 0


def sample_side(engine: FrameDetector) -> int | None:
    """The long side to make samples at: the detectors' largest input (each detector's own
    resize starts from there), never full 4K/1080p; never under MIN_SAMPLE_SIDE, which keeps the
    review lane's thumbnails of flagged moments sharp."""
    max_side = engine.max_side
    return max(MIN_SAMPLE_SIDE, max_side) if max_side else None


def picture_signature(image: Image.Image) -> np.ndarray:
    """A 32 × 32 colour thumbnail of a sample, for ``picture_distance``."""
    small = image.convert("RGB").resize((SIGNATURE_SIDE, SIGNATURE_SIDE), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.int16)


def picture_distance(one: np.ndarray, other: np.ndarray) -> float:
    """How much two signatures differ where they differ most: the mean absolute difference of
    the most changed of 4 × 4 blocks, 0–1. A change in one corner counts in full, not diluted
    by an unchanged rest of the picture."""
    side = SIGNATURE_SIDE // SIGNATURE_BLOCKS
    difference = np.abs(one - other).reshape(SIGNATURE_BLOCKS, side, SIGNATURE_BLOCKS, side, -1)
    return float(difference.mean(axis=(1, 3, 4)).max()) / 255.0


@dataclass(slots=True)
class _Run:
    """A sample the models run on; later samples of the same still picture share its result."""

    signature: np.ndarray | None
    future: Future[Sequence[DetectionResult]] | None = None
    index: int = 0


def detect_stream(
    engine: FrameDetector,
    samples: Iterable[Sample],
    reuse_threshold: float = 0.0,
    stats: ReuseStats | None = None,
) -> Iterator[tuple[Sample, DetectionResult]]:
    """Each sample with its labels, in order. Samples are detected in batches on another thread
    while the next are decoded; a few batches at most wait, so memory stays flat however long
    the stream is. With ``reuse_threshold`` above 0, a sample that is no scene change, follows
    no cut and differs from the last detected sample by less than it (``picture_distance``)
    reuses that sample's detections."""
    stats = stats if stats is not None else ReuseStats()
    pending: deque[tuple[Sample, _Run]] = deque()
    batch: list[tuple[Image.Image, _Run]] = []
    anchor: _Run | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="modgate-video") as pool:

        def submit() -> None:
            if batch:
                future = pool.submit(engine.detect_frames, [image for image, _ in batch])
                for index, (_, run) in enumerate(batch):
                    run.future, run.index = future, index
                batch.clear()

        def ready(limit: int) -> Iterator[tuple[Sample, DetectionResult]]:
            """Results in order: those already known, and more (waiting) while more than
            ``limit`` samples wait."""
            while pending:
                sample, run = pending[0]
                over = len(pending) > limit
                if run.future is None:
                    if not over:
                        return
                    submit()
                assert run.future is not None
                if not over and not run.future.done():
                    return
                pending.popleft()
                yield sample, run.future.result()[run.index]

        for sample in samples:
            signature = picture_signature(sample.image) if reuse_threshold > 0 else None
            if (
                anchor is not None
                and signature is not None
                and anchor.signature is not None
                and not (sample.scene_change or sample.cut)
                and picture_distance(signature, anchor.signature) < reuse_threshold
            ):
                run = anchor
                stats.reused += 1
            else:
                run = anchor = _Run(signature)
                stats.detected += 1
                batch.append((sample.image, run))
                if len(batch) == BATCH:
                    submit()
            pending.append((sample, run))
            yield from ready(3 * BATCH)
        yield from ready(0)


def detect_samples(
    engine: FrameDetector,
    path: str | Path,
    fps: float = 1.0,
    scene_threshold: float = 0.0,
    coverage: Coverage | None = None,
    reuse_threshold: float = REUSE_THRESHOLD,
    stats: ReuseStats | None = None,
) -> Iterator[tuple[Sample, DetectionResult]]:
    """Each sample of the video at ``path`` with its labels, in time order (``coverage``: see
    ``sample_frames``; ``reuse_threshold`` and ``stats``: see ``detect_stream``)."""
    samples = sample_frames(path, fps, scene_threshold, sample_side(engine), coverage)
    return detect_stream(engine, samples, reuse_threshold, stats)


def detect_video(
    engine: FrameDetector,
    path: str | Path,
    fps: float = 1.0,
    scene_threshold: float = 0.0,
    reuse_threshold: float = REUSE_THRESHOLD,
) -> Iterator[tuple[int, DetectionResult]]:
    """Labels of sampled frames, as ``(timestamp_ms, result)``."""
    for sample, result in detect_samples(
        engine, path, fps, scene_threshold, reuse_threshold=reuse_threshold
    ):
        yield sample.timestamp_ms, result
