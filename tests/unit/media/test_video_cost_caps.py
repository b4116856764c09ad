"""Video cost caps: frame size, frame rate, frame count and duration are checked from the headers
before any frame is decoded, and a video whose container states no duration is measured."""

from __future__ import annotations

import io
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import av
import numpy as np
import pytest

from modgate.errors import ModgateError
from modgate.media import MediaLimits, inspect_bytes
from modgate.media import probe as probe_module
from modgate.media.video_limits import measure
from modgate.settings import Settings
from video_corpus import clip_bytes, solid, still


def refusal(data: bytes, limits: MediaLimits | None = None) -> ModgateError:
    with pytest.raises(ModgateError) as caught:
        inspect_bytes(data, limits)
    return caught.value


def tiny_frames(count: int, side: int = 16) -> list[np.ndarray]:
    return [solid(((index * 37) % 256, 0, 0), side, side) for index in range(count)]


def unstated_duration_mkv(frames: int, fps: int, side: int = 64, webm: bool = False) -> bytes:
    """A live Matroska (or WebM) file: no segment duration, no index, and no packet marked as a
    keyframe, so nothing in the file states how long it lasts and it cannot be sought in."""
    out = io.BytesIO()
    container, codec = ("webm", "libvpx") if webm else ("matroska", "libx264")
    with av.open(out, mode="w", format=container, options={"live": "1"}) as output:
        stream = output.add_stream(codec, rate=fps)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        packets = []
        for index, array in enumerate(tiny_frames(frames, side)):
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            frame.pts = index
            packets.extend(stream.encode(frame))
        packets.extend(stream.encode())
        for packet in packets:
            packet.is_keyframe = False
            output.mux(packet)
    return out.getvalue()


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if intake decodes a frame."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a frame was decoded")

    monkeypatch.setattr(probe_module, "decode_frames", refuse)


@pytest.mark.parametrize(
    ("width", "height", "container"),
    [(8200, 64, "mp4"), (64, 7700, "matroska"), (16000, 16, "mp4")],
    ids=["wide-mp4", "tall-mkv", "very-wide-mp4"],
)
def test_frames_larger_than_the_limit_are_refused_before_decoding(
    no_decoding: None, width: int, height: int, container: str
) -> None:
    data = clip_bytes([still(width, height, seed=i) for i in range(3)], container=container)
    error = refusal(data)
    assert error.code == "VideoResolutionTooHighException" and error.http_status == 413
    assert error.details == {"width": width, "height": height}


@pytest.mark.parametrize("container", ["mp4", "matroska"])
def test_a_tiny_frame_stream_at_1000_fps_is_refused_before_decoding(
    no_decoding: None, container: str
) -> None:
    data = clip_bytes(tiny_frames(1000), fps=1000, container=container)
    error = refusal(data)
    assert error.code == "VideoFrameRateTooHighException" and error.http_status == 413
    assert error.to_dict()["error"]["details"]["frame_rate"] == pytest.approx(1000, rel=0.01)


def test_more_frames_than_allowed_are_refused_before_decoding(no_decoding: None) -> None:
    data = clip_bytes(tiny_frames(100), fps=25)
    error = refusal(data, MediaLimits(max_video_frames=99))
    assert error.code == "VideoTooManyFramesException" and error.http_status == 413


def test_frame_limit_defaults_to_the_longest_video_at_the_highest_rate() -> None:
    assert MediaLimits.from_settings(Settings()).video_frame_limit == 6 * 3600 * 240
    assert MediaLimits(max_video_seconds=10, max_video_fps=30).video_frame_limit == 300
    assert MediaLimits(max_video_frames=7).video_frame_limit == 7


def test_ordinary_phone_video_passes_the_defaults() -> None:
    portrait_4k60 = clip_bytes(
        [solid((200, 0, 0), 2160, 3840), solid((0, 200, 0), 2160, 3840)],
        fps=60,
        options={"preset": "ultrafast"},
    )
    info = inspect_bytes(portrait_4k60)
    assert (info.width, info.height, info.frame_rate) == (2160, 3840, 60.0)
    slow_motion = inspect_bytes(clip_bytes(tiny_frames(480), fps=240))
    assert slow_motion.frame_rate == 240.0 and slow_motion.duration_seconds == pytest.approx(2.0)
    longest_side = inspect_bytes(clip_bytes([still(64, 7680, seed=i) for i in range(2)]))
    assert (longest_side.width, longest_side.height) == (64, 7680)


@pytest.mark.parametrize("webm", [False, True], ids=["mkv", "webm"])
def test_a_video_whose_container_states_no_duration_is_measured(webm: bool) -> None:
    data = unstated_duration_mkv(frames=50, fps=5, webm=webm)  # 10 s
    info = inspect_bytes(data)
    assert info.duration_seconds == pytest.approx(10.0, abs=0.1)
    error = refusal(data, MediaLimits(max_video_seconds=5))
    assert error.code == "VideoTooLongException" and error.http_status == 413


def test_measuring_stops_at_the_first_limit_passed() -> None:
    fast = unstated_duration_mkv(frames=600, fps=1000, side=16)
    assert refusal(fast).code == "VideoFrameRateTooHighException"
    many = unstated_duration_mkv(frames=50, fps=5)
    assert refusal(many, MediaLimits(max_video_frames=20)).code == "VideoTooManyFramesException"


def test_a_video_whose_length_cannot_be_measured_is_refused() -> None:
    """Packets without timestamps (no container intake accepts writes them, so the stream is
    stood in for): nothing says how long the video lasts."""
    packets = [SimpleNamespace(pts=None, size=100) for _ in range(10)]
    container = SimpleNamespace(demux=lambda _stream: iter(packets))
    stream = SimpleNamespace(time_base=Fraction(1, 25), average_rate=None, guessed_rate=None)
    with pytest.raises(ModgateError) as caught:
        measure(container, stream, MediaLimits())  # type: ignore[arg-type]
    assert caught.value.code == "VideoDurationUnknownException"
    assert caught.value.http_status == 400
