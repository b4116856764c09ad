"""Video cost caps over real HTTP: each refusal has its own code and a 4xx, and nothing of the
upload is kept (no blob, no spool file, no record)."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import httpx
import pytest

from video_corpus import clip_bytes, solid, still


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from modgate.settings import load_settings

    return load_settings(
        data_dir=tmp_path / "data",
        max_video_seconds=5,
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        auth={"api_keys_required": False},
    )


def no_stated_duration(seconds: int, fps: int = 5) -> bytes:
    """Live Matroska with no packet marked as a keyframe: neither a duration to read nor an
    index to seek by."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="matroska", options={"live": "1"}) as output:
        stream = output.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.time_base = Fraction(1, fps)
        packets = []
        for index in range(seconds * fps):
            frame = av.VideoFrame.from_ndarray(solid((index * 9 % 256, 0, 0), 64, 48))
            frame.pts = index
            packets.extend(stream.encode(frame))
        packets.extend(stream.encode())
        for packet in packets:
            packet.is_keyframe = False
            output.mux(packet)
    return out.getvalue()


CASES = {
    "huge-frames": (
        lambda: clip_bytes([still(8200, 64, seed=i) for i in range(3)]),
        "VideoResolutionTooHighException",
    ),
    "1000-fps": (
        lambda: clip_bytes([solid((i % 256, 0, 0), 16, 16) for i in range(600)], fps=1000),
        "VideoFrameRateTooHighException",
    ),
    "no-stated-duration-too-long": (lambda: no_stated_duration(10), "VideoTooLongException"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_costly_videos_are_refused_with_their_code_and_nothing_kept(
    live_server, services, settings, case: str
) -> None:  # type: ignore[no-untyped-def]
    make, code = CASES[case]
    response = httpx.post(
        f"{live_server.url}/v1/media", files={"file": ("clip.bin", make())}, timeout=60
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == code
    assert services.blobs.keys() == []
    assert list((settings.data_dir / "spool").glob("*")) == []


def test_a_video_with_no_stated_duration_within_the_limit_is_accepted(live_server) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(
        f"{live_server.url}/v1/media", files={"file": ("clip.mkv", no_stated_duration(3))}
    )
    assert response.status_code == 201, response.text
    assert response.json()["duration_seconds"] == pytest.approx(3.0, abs=0.1)
