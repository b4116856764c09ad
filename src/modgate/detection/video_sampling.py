"""Video sampling: the frames of a video that become samples, decoded with PyAV.

For each sampling time the sample is the frame on screen at that time, stamped with its own
time from the start of the video stream, so a frame shown across a sampling time is never
missed, on variable-frame-rate files too; see ``_Picker``. Between regular samples, a sudden
large change of a coarse brightness grid (a cut) adds a sample, so a short shot is not missed.
Frames are decoded once, packet by packet (a damaged packet is skipped, as players do),
frame-threaded; for H.264/HEVC at ordinary frame rates, non-reference frames are skipped.
Samples are turned upright (display rotation). ``sample_frames`` samples a file and reports
what damage kept from being seen (``Coverage``); ``FramePicker`` samples frames that arrive
one at a time (a live stream). ``modgate.detection.video`` detects the samples.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from modgate.errors import CorruptMediaException, NoVideoStreamException
from modgate.media.library_reason import library_reason
from modgate.media.video_stream import (
    DecodeStats,
    decode_frames,
    frame_rate,
    frame_seconds,
    open_video,
    origin_seconds,
    upright,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sample:
    """A sampled picture. ``scene_change``: sampled for a scene change only; ``cut``: a scene cut
    was seen since the sample before (scene detection on), so it starts a new shot."""

    timestamp_ms: int
    image: Image.Image
    scene_change: bool = False
    cut: bool = False


# Codecs whose non-reference frames can be left undecoded, for about half the decoding work.
# Intra-only codecs are not listed: all their frames are "non-reference".
SKIP_NONREF_CODECS = frozenset({"h264", "hevc"})
# ... but only on streams with at least this many frames per sampling interval: a skipped frame
# then has a decoded neighbour a small fraction of the interval away. On a slideshow, one
# non-reference B-frame can be a whole slide.
NONREF_MIN_FRAMES_PER_SAMPLE = 15
TIME_TOLERANCE_MS = 0.5  # presentation times are rounded to the stream's time base


@dataclass
class Coverage:
    """How much of a stream sampling could read. ``unreadable_ms``: the stretches between
    decoded frames that damaged packets left without a picture of their own (the frame before
    stands in for them), added up. ``shown_until_ms``: where the last decoded frame stops being
    shown. ``damaged_after_end``: damage after that frame, or a read error, so whatever the
    stream holds past it was not seen."""

    shown_until_ms: float = 0.0
    unreadable_ms: float = 0.0
    damaged_packets: int = 0
    damaged_after_end: bool = False

    def unchecked_ms(self, duration_ms: float | None) -> float:
        """Milliseconds of a stream lasting ``duration_ms`` that no decoded frame showed."""
        missing_end = 0.0
        if self.damaged_after_end and duration_ms:
            missing_end = max(0.0, duration_ms - self.shown_until_ms)
        return self.unreadable_ms + missing_end


def sample_frames(
    path: str | Path,
    fps: float = 1.0,
    scene_threshold: float = 0.0,
    max_side: int | None = None,
    coverage: Coverage | None = None,
) -> Iterator[Sample]:
    """The frame on screen every ``1 / fps`` s from the start, plus frames where the scene
    changes (``picture_change`` ≥ ``scene_threshold``, 0–1; 0 turns scene detection
    off), upright, stamped with their own time from the start of the video stream.

    ``max_side`` converts sampled frames straight to that size (keeping the aspect ratio)
    instead of full resolution, for consumers such as detectors that need no more. Damaged
    packets are skipped; the video is refused only when most of it cannot be decoded. When
    given, ``coverage`` is filled in with what damage kept from being seen."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    picker = _Picker(1000.0 / fps, scene_threshold)
    coverage = coverage if coverage is not None else Coverage()
    try:
        with open_video(path) as container:
            if not container.streams.video:
                raise NoVideoStreamException()
            stream = container.streams.video[0]
            _configure_decoder(stream)
            skipping = _NonReferenceSkipping(stream, fps)
            size = _fit(stream.codec_context.width, stream.codec_context.height, max_side)
            origin = origin_seconds(stream)
            one_frame_ms = frame_seconds(stream) * 1000.0
            stats = DecodeStats()
            previous_ms, damaged_seen = 0.0, 0
            for frame in decode_frames(container, stream, stats, skipping.check):
                if frame.time is None:
                    continue
                if origin is None:
                    origin = frame.time
                now_ms = max(0.0, (frame.time - origin) * 1000.0)
                if now_ms < previous_ms or (frame.time - origin) * 1000.0 < -TIME_TOLERANCE_MS:
                    continue  # not shown (an edit list cuts it), or out of order after damage
                if stats.failed > damaged_seen:  # damage between the last frame and this one
                    gap = now_ms - previous_ms - (one_frame_ms if picker.held else 0.0)
                    coverage.unreadable_ms += max(0.0, gap)
                    damaged_seen = stats.failed
                previous_ms = now_ms
                picked = picker.push(frame, now_ms)
                if picked:
                    yield _sample(*picked, size)
            _check_decoded(stats, path)
            coverage.shown_until_ms = previous_ms + one_frame_ms
            coverage.damaged_packets = stats.failed
            coverage.damaged_after_end = stats.failed > damaged_seen or bool(stats.read_error)
            picked = picker.finish(one_frame_ms)
            if picked:
                yield _sample(*picked, size)
    except av.error.FFmpegError as exc:
        raise CorruptMediaException(f"The video cannot be decoded: {library_reason(exc)}") from exc


def _configure_decoder(stream: av.VideoStream) -> None:
    # Frame threading: about twice as fast on two cores. Decoding packet by packet, it goes on
    # after a damaged packet as single-threaded decoding does (it can lose a frame or two more
    # when the damage is in the last few packets). Slice threading is no safer: VP8 decoding
    # breaks down after a damaged packet with it.
    stream.thread_type = "AUTO"
    # Frames after a damaged one that refer to it are shown, patched, by players; without this
    # flag HEVC drops them all until the next keyframe, which can be the rest of the video.
    stream.codec_context.flags |= av.codec.context.Flags.output_corrupt


class _NonReferenceSkipping:
    """Skips non-reference frames when the stream's frame rate is well above the sampling
    rate. Skipping stops for good at the first packet presented more than a quarter sampling
    interval after all earlier ones: the declared rate was wrong (variable frame rate) and a
    skipped frame could stay on screen for long."""

    def __init__(self, stream: av.VideoStream, fps: float) -> None:
        self.context = stream.codec_context
        self.max_gap = 0.25 / fps
        self.latest: float | None = None
        rate = frame_rate(stream)
        self.enabled = (
            self.context.name in SKIP_NONREF_CODECS
            and rate is not None
            and rate >= NONREF_MIN_FRAMES_PER_SAMPLE * fps
        )
        if self.enabled:
            self.context.skip_frame = "NONREF"

    def check(self, packet: av.Packet[av.VideoStream]) -> None:
        if not self.enabled or packet.pts is None or packet.time_base is None:
            return
        time = float(packet.pts * packet.time_base)
        if self.latest is not None and time - self.latest > self.max_gap:
            self.context.skip_frame = "DEFAULT"
            self.enabled = False
        self.latest = time if self.latest is None else max(self.latest, time)


def _check_decoded(stats: DecodeStats, path: str | Path) -> None:
    if stats.mostly_unreadable:
        raise CorruptMediaException(
            f"The video cannot be decoded: {stats.failed} of {stats.packets} packets are "
            f"damaged and {stats.frames} frames could be read."
        )
    if stats.failed or stats.read_error:
        logger.warning(
            "%s: skipped %d damaged packets of %d%s",
            Path(path).name,
            stats.failed,
            stats.packets,
            f"; reading stopped early ({stats.read_error})" if stats.read_error else "",
        )


def _sample(shown: _Shown, scene_only: bool, cut: bool, size: tuple[int, int] | None) -> Sample:
    # Scale in the frame's own pixel format, then convert: half the work of swscale's combined
    # scale-and-convert path, with no loss of quality.
    small = shown.frame.reformat(*size) if size else shown.frame
    image: Image.Image = small.to_image()  # type: ignore[no-untyped-call]
    return Sample(round(shown.ms), upright(image, shown.frame.rotation), scene_only, cut)


@dataclass(slots=True)
class _Shown:
    """A decoded frame waiting for the next one, which tells until when it is on screen."""

    frame: av.VideoFrame
    ms: float
    cut: bool  # a scene cut is pending at this frame


class _Picker:
    """Decides which decoded frames become samples: in time order, each frame at most once.

    Regular samples: for each mark (every ``step_ms`` from 0), the frame on screen at that
    mark — the last one starting at or before it, known once the next frame starts or the
    stream ends; so each frame is held until then. A frame shown across several marks is
    sampled once, at its own time. Scene samples: a frame where the picture changed suddenly
    (a cut), at least a quarter step after the previous sample. About eight times per step, a
    64×36 brightness grid is compared with the previous one; a slow pan or fade changes little
    from one check to the next and adds no samples.
    """

    def __init__(self, step_ms: float, scene_threshold: float) -> None:
        self.step_ms = step_ms
        self.scene_threshold = scene_threshold
        self.held: _Shown | None = None
        self.next_mark = 0.0
        self.last_sample_ms = -math.inf
        self.last_check_ms = -math.inf
        self.previous_thumbnail: np.ndarray | None = None
        self.cut_pending = False

    def push(self, frame: av.VideoFrame, ms: float) -> tuple[_Shown, bool, bool] | None:
        """Take the next decoded frame, starting at ``ms``. Returns the frame before it, whether
        it is a scene-change sample only and whether a cut came since the last sample, if that
        frame is to be sampled."""
        picked = None
        if self.held is None:
            # The first frame stands for the marks before it (its predecessors were damaged).
            self.next_mark = math.floor(ms / self.step_ms) * self.step_ms
        elif ms <= self.held.ms:
            return None  # out of order (after damage): it cannot be placed in time
        else:
            picked = self._release(self.held, ms)
        self.held = _Shown(frame, ms, self._cut_at(frame, ms))
        return picked

    def finish(self, shown_ms: float) -> tuple[_Shown, bool, bool] | None:
        """At the end of the stream: the last frame, taken to be shown for ``shown_ms``."""
        if self.held is None:
            return None
        picked = self._release(self.held, self.held.ms + max(shown_ms, 1.0))
        self.held = None
        return picked

    def _release(self, held: _Shown, until_ms: float) -> tuple[_Shown, bool, bool] | None:
        """``held``, shown until ``until_ms``, if it is to be sampled."""
        passed = until_ms - TIME_TOLERANCE_MS
        regular = self.next_mark < passed
        if regular:  # the marks it covers are done with
            self.next_mark += (math.floor((passed - self.next_mark) / self.step_ms) + 1) * (
                self.step_ms
            )
        scene = held.cut and held.ms - self.last_sample_ms >= self.step_ms / 4
        if not (regular or scene):
            return None
        cut = self.cut_pending or held.cut
        self.last_sample_ms, self.cut_pending = held.ms, False
        return held, scene and not regular, cut

    def _cut_at(self, frame: av.VideoFrame, ms: float) -> bool:
        """Whether a cut is pending at ``frame`` (checked about eight times per step)."""
        if self.scene_threshold <= 0 or ms - self.last_check_ms < self.step_ms / 8:
            return False
        self.last_check_ms = ms
        thumbnail = _colour_thumbnail(frame)
        if self.previous_thumbnail is not None:
            change = picture_change(thumbnail, self.previous_thumbnail)
            self.cut_pending = self.cut_pending or change >= self.scene_threshold
        self.previous_thumbnail = thumbnail
        return self.cut_pending


PLANAR_YUV = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p"})


def _colour_thumbnail(frame: av.VideoFrame) -> np.ndarray:
    """About 64 × 36 samples of the picture's brightness and colour (Y, U, V on the last axis),
    read straight from a planar YUV frame's planes (no colour conversion); other pixel formats
    go through a small conversion. Colour counts: a cut between two shots of the same
    brightness (a red flash in a blue scene) is a change."""
    if frame.format.name not in PLANAR_YUV:
        frame = frame.reformat(width=64, height=36, format="yuv444p")
    rows_at = np.arange(0, frame.height, max(1, frame.height // 36))[:36]
    columns_at = np.arange(0, frame.width, max(1, frame.width // 64))[:64]
    grids = []
    for plane in frame.planes[:3]:
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
        picked_rows = rows_at * plane.height // frame.height
        picked_columns = columns_at * plane.width // frame.width
        grids.append(rows[np.ix_(picked_rows, picked_columns)])
    return np.stack(grids, axis=-1).astype(np.int16)


def _fit(width: int, height: int, max_side: int | None) -> tuple[int, int] | None:
    if not max_side or not width or not height or max(width, height) <= max_side:
        return None
    scale = max_side / max(width, height)
    return max(2, round(width * scale)), max(2, round(height * scale))


def picture_change(one: np.ndarray, other: np.ndarray) -> float:
    """How much two small pictures differ: the mean absolute difference of the channel that
    changed most (brightness, or a colour channel), 0–1. A grey grid is one channel."""
    difference = np.abs(one - other)
    if difference.ndim == 3:
        return float(difference.mean(axis=(0, 1)).max()) / 255.0
    return float(difference.mean()) / 255.0


class FramePicker:
    """The sampling of ``sample_frames`` for frames that arrive one at a time (a live stream):
    ``push`` each decoded frame with its time; it returns the samples that frame settles (the
    frame before it, when it was on screen at a sampling mark or starts a scene). ``max_side``:
    as ``sample_frames``."""

    def __init__(self, fps: float, scene_threshold: float, max_side: int | None) -> None:
        self._picker = _Picker(1000.0 / fps, scene_threshold)
        self.max_side = max_side

    def push(self, frame: av.VideoFrame, ms: float) -> Sample | None:
        picked = self._picker.push(frame, ms)
        if picked is None:
            return None
        size = _fit(frame.width, frame.height, self.max_side)
        return _sample(*picked, size)
