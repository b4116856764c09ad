"""Animated images (GIF, WebP, APNG) and multi-page files (TIFF, MPO) as timelines, like video.

A frame is on screen over [start, end) (display times as browsers show them; see
``modgate.media.animation``). At each sampling time (every ``1 / fps`` s from 0) the frame then
on screen is sampled: once, stamped at its start, however many sampling times it spans. A frame
whose picture differs from the last sampled one by ``scene_threshold`` or more (``picture_change``
of a 64 × 64 colour copy, 0–1, as for video) is sampled too, so a short flash between
two sampling times is checked; a frame gone within an eighth of the sampling interval after the
last sample starts is not, which bounds the work on strobing animations. Pages of files without
display times are separate pictures: every page is sampled, each taking one sampling interval of
the timeline.

Frames are decoded one at a time and samples are shrunk to the detectors' input size; they are
detected in small batches and turned into a timeline by ``modgate.detection.timeline``, which
keeps only small copies of flagged samples, so memory stays flat however many frames there are.
An animation that needs more than ``MAX_SAMPLES`` samples is refused (the job fails for good and
the item goes to review) rather than checked in part.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from PIL import Image

from modgate.detection.video_sampling import Sample, picture_change
from modgate.errors import VideoTooLongException
from modgate.media.animation import decoded_frames, display_ms, is_timed
from modgate.media.previews import to_rgb

MAX_SAMPLES = 3600  # an hour at one sample a second; about three minutes of detection
SIGNATURE_SIDE = 64


class AnimationSampler:
    """Samples of one animation, in time order; ``end_ms`` is its length once they are read."""

    def __init__(self, fps: float, scene_threshold: float, max_side: int | None = None) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.step_ms = 1000.0 / fps
        self.min_gap_ms = self.step_ms / 8
        self.scene_threshold = scene_threshold
        self.max_side = max_side
        self.end_ms = 0.0

    def samples(self, image: Image.Image) -> Iterator[Sample]:
        timed = is_timed(image)
        if not timed and getattr(image, "n_frames", 1) > MAX_SAMPLES:
            raise _too_many()
        scenes = timed and self.scene_threshold > 0
        next_mark = 0  # index of the first sampling time not yet on screen
        start, last_start = 0.0, -math.inf
        last_signature: np.ndarray | None = None
        taken = 0
        for _index in decoded_frames(image):
            end = start + (display_ms(image) if timed else self.step_ms)
            # Half a millisecond of slack: a sampling time that falls on a frame boundary
            # belongs to the frame that starts there, whatever the rounding.
            regular = next_mark * self.step_ms < end - 0.5
            signature = _signature(image) if scenes else None
            scene = (
                not regular
                and signature is not None
                and last_signature is not None
                and end - last_start >= self.min_gap_ms
                and picture_change(signature, last_signature) >= self.scene_threshold
            )
            if regular or scene:
                taken += 1
                if taken > MAX_SAMPLES:
                    raise _too_many()
                yield Sample(round(start), _picture(image, self.max_side), scene)
                last_start, last_signature = start, signature
            next_mark = max(next_mark, math.ceil((end - 0.5) / self.step_ms))
            start = end
        self.end_ms = start


def _picture(image: Image.Image, max_side: int | None) -> Image.Image:
    """The frame on screen as an RGB copy at most ``max_side`` on its long side."""
    rgb = to_rgb(image)
    if rgb is image:  # never change the decoder's canvas: the next frame is drawn on it
        rgb = image.copy()
    if max_side and max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return rgb


def _signature(image: Image.Image) -> np.ndarray:
    """A 64 × 64 colour copy of the frame, picked pixel by pixel (cheap at any frame size)."""
    small = image.resize((SIGNATURE_SIDE, SIGNATURE_SIDE), Image.Resampling.NEAREST)
    return np.asarray(to_rgb(small), dtype=np.int16)


def _too_many() -> VideoTooLongException:
    return VideoTooLongException(
        f"The animation needs more than {MAX_SAMPLES} sampled frames; it is not checked in part."
    )
