"""An RTMP source read by FFmpeg: FFmpeg in the test publishes a generated video with a marker
scene as an RTMP server on 127.0.0.1 (``listen``); the worker connects to the address the
outbound guard checked and the marker's segment comes with its time."""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import httpx

from conftest import serving, stream_settings
from live_hls import wait_until
from servers import free_port
from video_corpus import RED, solid, still

FPS = 10


def _publish(url: str, seconds: int, marker: tuple[float, float], ready: threading.Event) -> None:
    """Serve ``seconds`` of video at ``url`` to the first client, at the pace of real time."""
    rate = Fraction(FPS)
    ready.set()
    with av.open(url, mode="w", format="flv", options={"listen": "1"}) as output:
        stream = output.add_stream("libx264", rate=rate)
        stream.width, stream.height = 160, 120
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(FPS)}
        stream.codec_context.time_base = 1 / rate
        began = time.monotonic()
        for index in range(seconds * FPS):
            second = index / FPS
            pixels = solid(RED) if marker[0] <= second < marker[1] else still(seed=index // 5)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = index, 1 / rate
            for packet in stream.encode(frame):
                output.mux(packet)
            time.sleep(max(0.0, began + second - time.monotonic()))
        for packet in stream.encode():
            output.mux(packet)


def test_an_rtmp_stream_is_sampled_until_it_ends(tmp_path: Path) -> None:
    url = f"rtmp://127.0.0.1:{free_port()}/live/cam"
    ready = threading.Event()
    publisher = threading.Thread(target=_publish, args=(url, 6, (2.0, 4.0), ready), daemon=True)
    publisher.start()
    ready.wait(5)
    time.sleep(0.5)  # the server listens
    with serving(stream_settings(tmp_path)) as (server, _):
        base = server.url
        answer = httpx.post(f"{base}/v1/streams", json={"url": url, "fps": 2})
        assert answer.status_code == 201, answer.text
        stream_id = answer.json()["id"]

        def over() -> dict[str, Any] | None:
            body: dict[str, Any] = httpx.get(f"{base}/v1/streams/{stream_id}").json()
            return body if body["status"] not in ("starting", "live") else None

        body = wait_until(over, 60)
    publisher.join(timeout=10)
    assert body["status"] == "ended", body
    marker = [s for s in body["segments"] if s["ModerationLabel"]["Name"] == "Explicit Nudity"]
    assert len(marker) == 1
    assert abs(marker[0]["StartTimestampMillis"] - 2000) <= 500
