"""Which frames of an animation are detected: the frame on screen at each sampling time, frames
after a scene change, every page of a TIFF; memory and work stay bounded."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import modgate.detection.animation as animation
from corpus import Frame, animation_bytes, gif_frame_bomb, multipage_tiff
from modgate.detection.animation import AnimationSampler
from modgate.detection.result import DetectionResult
from modgate.detection.timeline import Sampling, detect_timeline
from modgate.errors import ModgateError
from modgate.taxonomy.detections import ImageDetections, Label, TimelineEntry

RED = (255, 0, 0)


class RedDetector:
    """Flags frames mostly of pure red; remembers the size of every frame it was given."""

    max_side = 224
    model_version = "red-1"

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def detect_frames(self, frames: Sequence[Image.Image]) -> list[DetectionResult]:
        results = []
        for frame in frames:
            self.sizes.append(frame.size)
            pixels = np.asarray(frame.convert("RGB"), dtype=np.int16)
            red = (np.abs(pixels - RED).max(axis=-1) <= 60).mean() >= 0.5
            label = Label("Explicit Nudity", 97.0, "Explicit", 2)
            found = ImageDetections((label,) if red else (), model_version=self.model_version)
            results.append(DetectionResult(found))
        return results


def detect_animation(
    detector: RedDetector, path: Path, fps: float, scene_threshold: float, **kwargs: Any
) -> tuple[list[TimelineEntry], dict[int, Image.Image]]:
    found = detect_timeline(detector, path, "animation", Sampling(fps, scene_threshold, **kwargs))
    assert found.timeline.model_version == "red-1" and found.timeline.unchecked is None
    return list(found.timeline.entries), found.flagged


def stamps(data: bytes, fps: float = 1.0, scene_threshold: float = 0.15) -> list[int]:
    sampler = AnimationSampler(fps, scene_threshold, 64)
    with Image.open(io.BytesIO(data)) as image:
        return [sample.timestamp_ms for sample in sampler.samples(image)]


def red_stamps(tmp_path: Path, data: bytes, **kwargs: Any) -> tuple[list[Any], list[int]]:
    path = tmp_path / "animation"
    path.write_bytes(data)
    entries, thumbnails = detect_animation(RedDetector(), path, 1.0, 0.15, **kwargs)
    flagged = [entry for entry in entries if entry.label.confidence >= 50]
    return flagged, sorted(thumbnails)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_a_frame_on_screen_at_a_sampling_time_is_sampled_at_its_start(
    fmt: str, tmp_path: Path
) -> None:
    # The red frame is shown from 100 ms to 1600 ms: on screen at 1 s, though it starts at 0.1.
    data = animation_bytes(fmt, [(None, 100), (RED, 1500)])
    assert stamps(data, scene_threshold=0) == [0, 100]
    flagged, thumbnails = red_stamps(tmp_path, data)
    assert [(e.start_ms, e.end_ms) for e in flagged] == [(100, 1600)]
    assert thumbnails == [100]


def test_a_long_frame_is_sampled_once() -> None:
    data = animation_bytes("GIF", [(None, 5500), (RED, 100), (None, 3000)])
    assert stamps(data, scene_threshold=0) == [0, 5600]


def test_frames_between_sampling_times_are_skipped_when_nothing_changes() -> None:
    frames: list[Frame] = [(None, 100)] * 30  # gradients with their own noise: no scene change
    assert stamps(animation_bytes("GIF", frames)) == [0, 1000, 2000]


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_a_short_flash_between_sampling_times_is_caught(fmt: str, tmp_path: Path) -> None:
    # Red for 300 ms, from 2.3 s to 2.6 s, in 5 s of 100 ms frames sampled at 1 fps.
    frames: list[Frame] = [(RED if 23 <= index < 26 else None, 100) for index in range(50)]
    data = animation_bytes(fmt, frames)
    assert 2300 in stamps(data)
    assert 2300 not in stamps(data, scene_threshold=0)  # the scene change is what finds it
    flagged, _ = red_stamps(tmp_path, data)
    assert [e.start_ms for e in flagged] == [2300]
    # The frame after the flash differs from the flash: it is sampled too, ending the flag.
    assert flagged[0].end_ms == 2600


def test_every_page_of_a_tiff_is_sampled(tmp_path: Path) -> None:
    data = multipage_tiff([None, RED, None, None, RED])
    assert stamps(data) == [0, 1000, 2000, 3000, 4000]
    flagged, thumbnails = red_stamps(tmp_path, data)
    assert [e.start_ms for e in flagged] == [1000, 4000]
    assert thumbnails == [1000, 4000]


def test_frames_without_a_delay_are_timed_as_browsers_show_them() -> None:
    data = animation_bytes("GIF", [(None, 0)] * 25)  # 100 ms each
    assert stamps(data, scene_threshold=0) == [0, 1000, 2000]


def test_a_strobe_costs_a_bounded_number_of_samples() -> None:
    # 200 frames of 20 ms, black and white in turn: each differs from the last, yet at most
    # about two samples per eighth of the sampling interval are taken.
    frames: list[Frame] = [((255, 255, 255) if i % 2 else (0, 0, 0), 20) for i in range(200)]
    taken = stamps(animation_bytes("GIF", frames))
    assert 8 <= len(taken) <= 4 * 16 + 4


def test_samples_are_shrunk_to_the_detectors_size(tmp_path: Path) -> None:
    path = tmp_path / "large.gif"
    path.write_bytes(animation_bytes("GIF", [(None, 1000), (RED, 1000)], 1200, 900))
    detector = RedDetector()
    detect_animation(detector, path, 1.0, 0.15)
    assert detector.sizes == [(320, 240), (320, 240)]  # at least MIN_SAMPLE_SIDE, not 1200


def test_a_frame_bomb_is_not_held_whole(tmp_path: Path) -> None:
    # 30 one-pixel frames on a 3000 × 3000 screen: each sample is small.
    path = tmp_path / "bomb.gif"
    path.write_bytes(gif_frame_bomb(3000, 3000, 30))
    detector = RedDetector()
    entries, _ = detect_animation(detector, path, 1.0, 0.15)
    assert detector.sizes and all(max(size) == 320 for size in detector.sizes)


def test_an_animation_needing_too_many_samples_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(animation, "MAX_SAMPLES", 3)
    with pytest.raises(ModgateError) as caught:
        stamps(multipage_tiff([None] * 4))
    assert 400 <= caught.value.http_status < 500  # permanent: the job is not retried
    with pytest.raises(ModgateError):
        stamps(animation_bytes("GIF", [(None, 1000)] * 4))
    assert stamps(animation_bytes("GIF", [(None, 1000)] * 3)) == [0, 1000, 2000]


# Two colours of the same brightness (ITU-R 601 luma about 60): only their colour tells them apart.
GREEN_AT_60 = (0, 102, 0)
RED_AT_60 = (200, 0, 0)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_a_flash_of_another_colour_at_the_same_brightness_is_caught(fmt: str) -> None:
    frames: list[Frame] = [
        (RED_AT_60 if 23 <= index < 26 else GREEN_AT_60, 100) for index in range(50)
    ]
    data = animation_bytes(fmt, frames)
    assert 2300 in stamps(data)
    assert 2300 not in stamps(data, scene_threshold=0)  # the colour change is what finds it
