"""Videos and animations as timelines: the one entry point that samples, detects and times them.

``detect_timeline(engine, path, kind, sampling)`` samples a video
(``modgate.detection.video_sampling``) or an animation (``modgate.detection.animation``), detects
the samples in batches (``modgate.detection.video``) and returns a ``Timeline``: one entry per label
per sample, each covering its sample's time up to the next sample (Rekognition's
``aggregate_by=TIMESTAMPS``), which is what duration rules in policies measure. Beside it come small
copies of the flagged samples (any label at or above the flag floor), for the pipeline to store as
thumbnails. Segments are derived from the entries on demand (``Timeline.segments``).

A video whose damage kept more than a sampling interval (and a second) from view says so in
``Timeline.unchecked``; the pipeline then never allows it unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image

from modgate.detection.animation import AnimationSampler
from modgate.detection.result import DetectionResult
from modgate.detection.settings import REUSE_THRESHOLD
from modgate.detection.video import (
    FrameDetector,
    ReuseStats,
    detect_samples,
    detect_stream,
    sample_side,
)
from modgate.detection.video_sampling import Coverage, Sample
from modgate.taxonomy.detections import (
    ImageDetections,
    TextFindings,
    Timeline,
    TimelineEntry,
    Unchecked,
)

TimelineKind = Literal["video", "animation"]


@dataclass(frozen=True, slots=True)
class Sampling:
    """How a timeline is sampled: ``fps`` regular samples a second, plus scene changes
    (``scene_threshold``, 0–1; 0 turns them off). Samples with a label at or above
    ``flag_floor`` are kept as copies at most ``thumbnail_side`` pixels on their long side.
    A sample whose picture differs from the last detected one by less than ``reuse_threshold``
    (0 turns reuse off) reuses its detections (``modgate.detection.video.detect_stream``)."""

    fps: float
    scene_threshold: float = 0.0
    flag_floor: float = 50.0
    thumbnail_side: int = 320
    reuse_threshold: float = REUSE_THRESHOLD


@dataclass(frozen=True, slots=True)
class DetectedTimeline:
    """A timeline (without thumbnail keys yet) and small copies of its flagged samples, by
    their time."""

    timeline: Timeline
    flagged: dict[int, Image.Image]
    reuse: ReuseStats = field(default_factory=ReuseStats)


def detect_timeline(
    engine: FrameDetector,
    path: Path,
    kind: TimelineKind,
    sampling: Sampling,
    *,
    duration_ms: int | None = None,
    progress: Callable[[], None] | None = None,
) -> DetectedTimeline:
    """The timeline of the video or animation at ``path``. ``duration_ms``: a video's length,
    when known (its last sample lasts until then, and unseen damage is measured against it).
    ``progress`` is called after each sample (a long job renews its lease with it)."""
    collected = _Collected(sampling, progress)
    unchecked = None
    reuse = ReuseStats()
    if kind == "video":
        coverage = Coverage()
        results = detect_samples(
            engine,
            path,
            sampling.fps,
            sampling.scene_threshold,
            coverage,
            sampling.reuse_threshold,
            reuse,
        )
        collected.add_all(results)
        entries = collected.entries(sampling.fps, duration_ms)
        unchecked = unchecked_of(coverage, duration_ms, sampling.fps)
    else:
        sampler = AnimationSampler(sampling.fps, sampling.scene_threshold, sample_side(engine))
        with Image.open(path) as image:
            # Samples are copies: the next frame can be decoded while they are detected.
            samples = sampler.samples(image)
            collected.add_all(detect_stream(engine, samples, sampling.reuse_threshold, reuse))
        end_ms = round(sampler.end_ms)
        # The last sample stands for the rest of the animation: every frame after it was
        # shown at no sampling time and changed nothing, and its display time is known.
        entries = collected.entries(sampling.fps, end_ms, last_until_ms=end_ms)
    findings = collected.findings(engine)
    timeline = Timeline(tuple(entries), engine.model_version, {}, unchecked, findings)
    return DetectedTimeline(timeline, collected.flagged, reuse)


class _Collected:
    """Samples' times and detections in time order, and small copies of the flagged ones."""

    def __init__(self, sampling: Sampling, progress: Callable[[], None] | None) -> None:
        self.sampling = sampling
        self.progress = progress
        self.stamps: list[int] = []
        self.detections: list[ImageDetections] = []
        self.texts: list[tuple[int, str]] = []
        self.flagged: dict[int, Image.Image] = {}

    def add_all(self, results: Iterable[tuple[Sample, DetectionResult]]) -> None:
        floor, side = self.sampling.flag_floor, self.sampling.thumbnail_side
        for sample, result in results:
            detections = result.detections
            self.stamps.append(sample.timestamp_ms)
            self.detections.append(detections)
            if detections.text:
                read = "\n".join(line.text for line in detections.lines())
                self.texts.append((sample.timestamp_ms, read))
            if any(label.confidence >= floor for label in detections.labels):
                small = sample.image.copy()
                small.thumbnail((side, side))
                self.flagged[sample.timestamp_ms] = small
            if self.progress is not None:
                self.progress()

    def findings(self, engine: FrameDetector) -> tuple[TextFindings, ...]:
        """What the text detectors find in the text of each sample that showed some, with the
        sample's time."""
        if not self.texts:
            return ()
        stamps = [stamp for stamp, _ in self.texts]
        return tuple(engine.detect_text([t for _, t in self.texts], "ocr", None, stamps))

    def entries(
        self, fps: float, duration_ms: int | None, last_until_ms: int | None = None
    ) -> Iterator[TimelineEntry]:
        """Each sample's labels, covering its time until the next sample; the last sample
        lasts one sampling interval (at most until ``duration_ms``), or until
        ``last_until_ms`` when that is given."""
        step_ms = round(1000.0 / fps)
        last = self.stamps[-1] if self.stamps else None
        for index, (stamp, found) in enumerate(zip(self.stamps, self.detections, strict=True)):
            if index + 1 < len(self.stamps):
                end = self.stamps[index + 1]
            else:
                end = min(stamp + step_ms, duration_ms or stamp + step_ms)
            if last_until_ms is not None and stamp == last:
                end = last_until_ms
            end = max(end, stamp + 1)
            for label in found.labels:
                yield TimelineEntry(stamp, end, label, found.content_types)


def unchecked_of(coverage: Coverage, duration_ms: int | None, fps: float) -> Unchecked | None:
    """What damage kept from view, when that is more than one sampling interval (and a
    second): time unseen, the damaged packets, and a reason for the decision."""
    unseen = coverage.unchecked_ms(duration_ms)
    if unseen <= max(1000.0 / fps, 1000.0):
        return None
    of = f" of {duration_ms / 1000:.1f} s" if duration_ms else ""
    return Unchecked(
        round(unseen),
        coverage.damaged_packets,
        f"{unseen / 1000:.1f} s{of} could not be decoded and were not checked "
        f"({coverage.damaged_packets} damaged packets)",
    )
