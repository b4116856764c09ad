"""A video's cost caps, checked from its container and stream headers before any frame is decoded.

The work of decoding a video grows with its frame size and its frame count, and a small file can
declare a great deal of both: a stream of 16 × 16 frames at 1000 fps, a header declaring frames
8000 pixels wide, a Matroska file that never states how long it lasts. So, before the first frame
is decoded, intake checks the frame size, the frame rate, the frame count and the duration that
the headers state. A video whose container states no duration (live Matroska and WebM: no
segment duration, often no index to seek by) is measured instead: its packets are read, not
decoded, and their timestamps give its length and their number its frame count. The reading
stops as soon as a limit is passed, so it never does more work than the largest video admitted
would, and a video whose packets carry no timestamp is refused: its length cannot be known.
"""

from __future__ import annotations

from dataclasses import dataclass

import av

from modgate.errors import (
    VideoDurationUnknownException,
    VideoFrameRateTooHighException,
    VideoResolutionTooHighException,
    VideoTooLongException,
    VideoTooManyFramesException,
)
from modgate.media.models import MediaLimits
from modgate.media.video_stream import frame_seconds

# Timestamps are rounded to the container's time base, so a rate computed from them can come
# out a little above the real one (2000 frames in 8.33 s at 1 ms steps): 1 % leeway.
_RATE_LEEWAY = 1.01
# While packets are counted, a rate above the limit is only judged over this many seconds or
# more, so a short burst at the start of a variable-rate video is not mistaken for its rate.
_RATE_WINDOW_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class VideoExtent:
    """How long a video lasts and how many frames it has, as far as its headers or packets say."""

    duration_seconds: float | None
    frame_count: int | None
    measured: bool = False


def check_headers(
    container: av.container.InputContainer, stream: av.VideoStream, limits: MediaLimits
) -> VideoExtent:
    """Refuse a video whose headers pass a limit; measure one whose duration is not stated.

    Leaves ``container`` at its end when it had to be measured (the caller opens it again)."""
    context = stream.codec_context
    check_frame_size(int(context.width or 0), int(context.height or 0), limits)
    rate = float(stream.average_rate) if stream.average_rate else None
    if rate is not None:
        check_frame_rate(rate, limits)
    frames = int(stream.frames) if stream.frames else None
    if frames is not None:
        check_frame_count(frames, limits)
    stated = stated_duration(container, stream)
    if stated is None:
        return measure(container, stream, limits)
    check_duration(stated, limits)
    if frames is not None and stated > 0:
        check_frame_rate(frames / stated, limits)
    elif rate is not None:  # the container states no frame count (Matroska): estimate it
        check_frame_count(int(stated * rate), limits)
    return VideoExtent(stated, frames)


def stated_duration(container: av.container.InputContainer, stream: av.VideoStream) -> float | None:
    """The duration the stream's or the container's header states, in seconds, if any."""
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return float(container.duration / av.time_base)
    return None


def measure(
    container: av.container.InputContainer, stream: av.VideoStream, limits: MediaLimits
) -> VideoExtent:
    """The duration and frame count of ``stream`` from its packets' timestamps (no decoding);
    stops and refuses as soon as the count, the rate or the length passes its limit."""
    if stream.time_base is None:
        raise VideoDurationUnknownException()
    time_base = float(stream.time_base)
    frame_limit = limits.video_frame_limit
    count = 0
    first: int | None = None
    last: int | None = None
    try:
        for packet in container.demux(stream):
            if packet.pts is None or not packet.size:
                continue
            count += 1
            first = packet.pts if first is None else min(first, packet.pts)
            last = packet.pts if last is None else max(last, packet.pts)
            span = (last - first) * time_base
            _check_while_counting(count, span, frame_limit, limits)
    except av.error.FFmpegError:
        pass  # a read error ends the stream here, as it ends decoding: measured up to it
    if first is None or last is None:
        raise VideoDurationUnknownException(
            "The container states no duration and no packet of the video stream carries a "
            "timestamp: its length cannot be measured."
        )
    duration = (last - first) * time_base + frame_seconds(stream)
    check_duration(duration, limits)
    check_frame_rate(count / duration, limits)
    return VideoExtent(duration, count, measured=True)


def _check_while_counting(count: int, span: float, frame_limit: int, limits: MediaLimits) -> None:
    check_frame_count(count, limits, frame_limit)
    check_duration(span, limits)
    check_frame_rate(count / (span + _RATE_WINDOW_SECONDS), limits)


def check_frame_size(width: int, height: int, limits: MediaLimits) -> None:
    if max(width, height) > limits.max_video_side:
        raise VideoResolutionTooHighException(
            f"The video's frames are {width} × {height}; each side must be at most "
            f"{limits.max_video_side} pixels. It was not decoded.",
            width=width,
            height=height,
        )


def check_frame_rate(rate: float, limits: MediaLimits) -> None:
    if rate > limits.max_video_fps * _RATE_LEEWAY:
        raise VideoFrameRateTooHighException(
            f"The video has {rate:.0f} frames per second; the limit is "
            f"{limits.max_video_fps:g}. It was not decoded.",
            frame_rate=round(rate, 3),
        )


def check_frame_count(frames: int, limits: MediaLimits, limit: int | None = None) -> None:
    limit = limits.video_frame_limit if limit is None else limit
    if frames > limit:
        raise VideoTooManyFramesException(
            f"The video has more than {limit} frames, the limit. It was not decoded.",
            frame_count=frames,
        )


def check_duration(seconds: float, limits: MediaLimits) -> None:
    if seconds > limits.max_video_seconds:
        raise VideoTooLongException(
            f"The video lasts {seconds:.0f} s; the limit is {limits.max_video_seconds:.0f} s.",
            duration_seconds=seconds,
        )
