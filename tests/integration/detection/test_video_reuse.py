"""Video samples whose picture barely changed reuse the last detections: the labels and
segments of the test clips are the same with and without reuse, a still clip costs about one
detection, and a cut or a change always runs the models."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from corpus import video_bytes
from modgate.detection.engine import DetectionEngine
from modgate.detection.result import DetectionResult
from modgate.detection.settings import REUSE_THRESHOLD
from modgate.detection.timeline import DetectedTimeline, Sampling, detect_timeline
from modgate.settings import load_settings
from video_corpus import RED, clip_bytes, solid

SCENE_THRESHOLD = 0.15  # the pipeline's default
GAP_MS = 1500


class Counting:
    """The engine, counting the frames its models ran on."""

    def __init__(self, engine: DetectionEngine) -> None:
        self.engine = engine
        self.frames = 0

    @property
    def model_version(self) -> str:
        return self.engine.model_version

    @property
    def max_side(self) -> int | None:
        return self.engine.max_side

    def detect_frames(self, frames: Sequence[Image.Image]) -> list[DetectionResult]:
        self.frames += len(frames)
        return self.engine.detect_frames(frames)


@pytest.fixture(scope="module")
def marker_engine() -> Iterator[DetectionEngine]:
    """The pipeline tests' marker detector (mostly red frames → Explicit Nudity)."""
    settings = load_settings(detection={"enabled": ["marker"]})
    with DetectionEngine.from_settings(settings) as loaded:
        yield loaded


def photo(name: str, width: int = 192, height: int = 108) -> np.ndarray:
    from skimage import data

    image = Image.fromarray(np.asarray(getattr(data, name)())).convert("RGB")
    return np.asarray(image.resize((width, height)))


def slideshow() -> bytes:
    """Photos shown 2.5 s each at 10 fps, cut to one another, one slide red."""
    slides = [photo("astronaut"), photo("chelsea"), solid(RED, 192, 108), photo("coffee")]
    return clip_bytes([slide for slide in slides for _ in range(25)], fps=10)


def timeline(engine: Counting, path: Path, reuse: float) -> DetectedTimeline:
    return detect_timeline(engine, path, "video", Sampling(1.0, SCENE_THRESHOLD, 50.0, 320, reuse))


def at_50(found: DetectedTimeline) -> list[tuple[int, int | None, str]]:
    """Each sample's labels at 50 or more, with the time they cover."""
    return sorted(
        (entry.start_ms, entry.end_ms, entry.label.name)
        for entry in found.timeline.entries
        if entry.label.confidence >= 50
    )


CLIPS = {
    # The pipeline tests' clip: red from 3.0 s to 6.5 s, noisy gradients around it.
    "pipeline-clip": lambda: video_bytes(
        "mp4", "libx264", seconds=10.0, fps=10, width=192, height=108, colour_at=(3.0, 6.5, RED)
    ),
    "slideshow": slideshow,
}


@pytest.mark.parametrize("clip", sorted(CLIPS))
def test_labels_and_segments_are_the_same_with_and_without_reuse(
    clip: str, marker_engine: DetectionEngine, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(CLIPS[clip]())
    every = timeline(Counting(marker_engine), path, 0.0)
    counted = Counting(marker_engine)
    reused = timeline(counted, path, REUSE_THRESHOLD)
    assert every.reuse.reused == 0 and reused.reuse.reused > 0
    assert counted.frames == reused.reuse.detected < every.reuse.detected
    assert at_50(reused) == at_50(every) != []
    assert reused.timeline.segments(50, GAP_MS) == every.timeline.segments(50, GAP_MS)
    assert sorted(reused.flagged) == sorted(every.flagged)


def test_the_real_models_give_the_same_labels_on_the_slideshow(
    engine: DetectionEngine, tmp_path: Path
) -> None:
    path = tmp_path / "slides.mp4"
    path.write_bytes(slideshow())
    every = timeline(Counting(engine), path, 0.0)
    reused = timeline(Counting(engine), path, REUSE_THRESHOLD)
    assert reused.reuse.reused > 0
    for threshold in (50, 20):
        assert reused.timeline.segments(threshold, GAP_MS) == every.timeline.segments(
            threshold, GAP_MS
        )


def test_a_clip_of_one_still_image_runs_the_models_once(
    engine: DetectionEngine, tmp_path: Path
) -> None:
    path = tmp_path / "still.mp4"
    path.write_bytes(clip_bytes([photo("astronaut", 320, 240)] * 300, fps=10))  # 30 s
    counted = Counting(engine)
    found = timeline(counted, path, REUSE_THRESHOLD)
    samples = found.reuse.detected + found.reuse.reused
    assert samples == 30
    assert counted.frames == found.reuse.detected == 1


def test_a_change_in_one_corner_of_a_still_shot_runs_the_models(
    marker_engine: DetectionEngine, tmp_path: Path
) -> None:
    # A still photo; from 4 s a red patch covers a corner (1/30 of the picture): too small for a
    # scene cut, but the samples from there on are detected again, once.
    base = photo("astronaut")
    patched = base.copy()
    patched[:20, :34] = RED
    path = tmp_path / "corner.mp4"
    path.write_bytes(clip_bytes([base] * 40 + [patched] * 40, fps=10))
    counted = Counting(marker_engine)
    found = timeline(counted, path, REUSE_THRESHOLD)
    assert found.reuse.detected + found.reuse.reused == 8
    assert counted.frames == found.reuse.detected == 2
