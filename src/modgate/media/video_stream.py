"""Reading a video stream with PyAV the same way at intake, for previews and for sampling.

- Time is counted from the start of the video stream (its first frame is 0 ms), as players and
  Rekognition's GetContentModeration count it, whatever the container's first timestamp is.
- The end of the stream is where its last frame stops being shown: the largest presentation
  time among the last packets (read after a seek to the end) plus one frame. Containers' declared
  durations are unreliable on their own: Matroska's counts from the container's time zero (a
  stream starting at 5 s "lasts" 8 s), an MP4 muxed from variable-rate frames sums decoding-time
  steps and can end before its last frame is shown.
- Decoding goes packet by packet: a packet the decoder refuses is skipped and counted, as
  players skip it, instead of ending the decoding; callers decide when too little was readable.
- Frames carry a display rotation (a phone's portrait video is stored sideways with a display
  matrix); ``upright`` applies it to a converted image.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

from modgate.media.library_reason import library_reason

logger = logging.getLogger(__name__)

# Seek target past any real end: the demuxer lands on the last keyframe instead.
_PAST_THE_END = 2**62


def open_video(path: str | Path) -> av.container.InputContainer:
    """The container, tolerating metadata that is not valid UTF-8 (it plays all the same)."""
    return av.open(str(path), mode="r", metadata_errors="ignore")


def origin_seconds(stream: av.VideoStream) -> float | None:
    """The stream's first presentation time, in seconds, when the container declares it."""
    if stream.start_time is None or stream.time_base is None:
        return None
    return float(stream.start_time * stream.time_base)


def frame_rate(stream: av.VideoStream) -> float | None:
    """The lower of the stream's average and guessed frame rates (each can be high on a
    variable-rate file while long-lasting frames exist), or None when neither is known."""
    rates = [float(rate) for rate in (stream.average_rate, stream.guessed_rate) if rate]
    return min(rates) if rates else None


def frame_seconds(stream: av.VideoStream) -> float:
    """How long the last frame is taken to be shown: one frame at the higher known rate (the
    shorter estimate), or a millisecond when no rate is known (it still lies inside the
    duration)."""
    rates = [float(rate) for rate in (stream.average_rate, stream.guessed_rate) if rate]
    return 1.0 / max(rates) if rates else 0.001


def duration_seconds(
    container: av.container.InputContainer, stream: av.VideoStream, origin: float
) -> float | None:
    """From ``origin`` to the end of the stream's last frame, or to the end the stream
    declares if that is later (an MP4 track's length includes its last frame's own duration).
    Leaves ``container`` positioned at its end."""
    declared = None
    if stream.duration is not None and stream.time_base is not None:
        declared = float(stream.duration * stream.time_base)
    last = _last_presentation_seconds(container, stream)
    shown = None if last is None else last - origin + frame_seconds(stream)
    known = [value for value in (declared, shown) if value is not None]
    if known:
        return max(known)
    if container.duration is not None:
        return float(container.duration / av.time_base)
    return None


def _last_presentation_seconds(
    container: av.container.InputContainer, stream: av.VideoStream
) -> float | None:
    """The largest presentation time among the packets from the last keyframe on (the
    frames of a group are reordered only within it), or None if the file cannot seek."""
    if stream.time_base is None:
        return None
    try:
        container.seek(_PAST_THE_END, stream=stream, backward=True)
        times = [packet.pts for packet in container.demux(stream) if packet.pts is not None]
    except av.error.FFmpegError as exc:
        logger.info("cannot read the end of the video stream (%s); using its declared length", exc)
        return None
    return float(max(times) * stream.time_base) if times else None


@dataclass
class DecodeStats:
    """What decoding a stream met: packets read, packets the decoder refused, frames out."""

    packets: int = 0
    failed: int = 0
    frames: int = 0
    read_error: str | None = None

    @property
    def mostly_unreadable(self) -> bool:
        """No frame at all, or more refused packets than accepted ones."""
        return self.frames == 0 or 2 * self.failed > self.packets


def decode_frames(
    container: av.container.InputContainer,
    stream: av.VideoStream,
    stats: DecodeStats,
    before_decode: Callable[[av.Packet[av.VideoStream]], None] | None = None,
    max_failed: int | None = None,
) -> Iterator[av.VideoFrame]:
    """The stream's frames in presentation order, decoded packet by packet; a packet the
    decoder refuses is counted in ``stats`` and skipped (decoding stops after ``max_failed``
    of them). A read error ends the stream (after the decoder gives up the frames it holds).
    ``before_decode`` sees each packet first."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:  # the rest of the file cannot be read
            stats.read_error = library_reason(exc)
            packet = None
        if packet is not None and packet.size:
            stats.packets += 1
            if before_decode is not None:
                before_decode(packet)
        try:
            frames = stream.decode(packet)
        except av.error.FFmpegError:
            stats.failed += 1
            if max_failed is not None and stats.failed > max_failed:
                return
            continue
        stats.frames += len(frames)
        yield from frames
        if packet is None:
            return


def upright(image: Image.Image, rotation: int) -> Image.Image:
    """``image`` turned as the frame's display matrix says (``rotation`` is PyAV's
    ``VideoFrame.rotation``: degrees counter-clockwise, so -90 shows the picture turned a
    quarter clockwise)."""
    quarter = round(rotation / 90) * 90 % 360
    return image.transpose(_QUARTER_TURNS[quarter]) if quarter else image


_QUARTER_TURNS = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}
