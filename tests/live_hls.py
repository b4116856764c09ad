"""A live HLS stream made in the test: PyAV writes one-second MPEG-TS segments of a generated
video (a noisy gradient, with a red marker scene the marker detector flags at a known time)
into a folder, appending each to the playlist as it is published, at the pace of real time;
a local HTTP server on 127.0.0.1 serves the folder while it grows.

``outage`` makes the server answer 503 for a while (a source that drops and comes back);
``stall_after`` stops publishing (a source that stalls) without ending the playlist.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from fractions import Fraction
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import numpy as np

from video_corpus import RED, solid, still


class MarkerFrames:
    """The test streams' pictures: a noisy gradient changing four times a second, red from
    ``marker[0]`` to ``marker[1]`` seconds (the marker detector's scene)."""

    def __init__(self, marker: tuple[float, float] | None, size: tuple[int, int]) -> None:
        self.marker = marker
        self.size = size
        self._noise = [still(*size, seed=seed) for seed in range(4)]

    def at(self, seconds: float) -> np.ndarray:
        if self.marker is not None and self.marker[0] <= seconds < self.marker[1]:
            return solid(RED, *self.size)
        return self._noise[int(seconds * 4) % len(self._noise)]


class LiveHls:
    """``seconds`` of video at ``fps`` frames a second in ``segment_seconds`` segments; frames
    in ``marker`` (start, end) seconds are red. ``published`` holds each segment's publication
    time (``time.monotonic``)."""

    def __init__(
        self,
        folder: Path,
        seconds: int = 8,
        marker: tuple[float, float] | None = (3.0, 5.0),
        fps: int = 10,
        segment_seconds: float = 1.0,
        size: tuple[int, int] = (160, 120),
        end: bool = True,
        stall_after: int | None = None,
        speed: float = 1.0,
    ) -> None:
        self.folder = folder
        self.seconds = seconds
        self.marker = marker
        self.fps = fps
        self.segment_seconds = segment_seconds
        self.size = size
        self.end = end
        self.stall_after = stall_after
        self.speed = speed
        self.published: list[float] = []
        self.outage_until = 0.0
        self._stop = threading.Event()
        self._segments: list[str] = []
        self._frames = MarkerFrames(marker, size)
        outer = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self) -> None:  # noqa: N802
                if time.monotonic() < outer.outage_until:
                    self.send_error(503)
                    return
                super().do_GET()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/live.m3u8"
        self._threads = [
            threading.Thread(target=self.server.serve_forever, daemon=True),
            threading.Thread(target=self._publish, daemon=True),
        ]
        self._write_playlist(ended=False)

    def __enter__(self) -> LiveHls:
        self._threads[0].start()
        return self

    def start(self) -> None:
        """Start publishing (the first segment comes one segment's time from now)."""
        self._threads[1].start()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.server.shutdown()

    def outage(self, seconds: float) -> None:
        self.outage_until = time.monotonic() + seconds

    def frame_at(self, seconds: float) -> np.ndarray:
        return self._frames.at(seconds)

    def _publish(self) -> None:
        count = round(self.seconds / self.segment_seconds)
        per = round(self.fps * self.segment_seconds)
        start = time.monotonic()
        for index in range(count):
            if self.stall_after is not None and index >= self.stall_after:
                return
            due = start + (index + 1) * self.segment_seconds / self.speed
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            name = f"seg{index:05d}.ts"
            self._write_segment(self.folder / name, index * per, per)
            self._segments.append(name)
            self._write_playlist(ended=self.end and index == count - 1)
            self.published.append(time.monotonic())

    def _write_segment(self, path: Path, first: int, count: int) -> None:
        rate = Fraction(self.fps)
        with av.open(str(path) + ".part", mode="w", format="mpegts") as output:
            stream = output.add_stream("libx264", rate=rate)
            stream.width, stream.height = self.size
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "ultrafast", "tune": "zerolatency"}
            stream.codec_context.time_base = 1 / rate
            for offset in range(count):
                index = first + offset
                frame = av.VideoFrame.from_ndarray(self.frame_at(index / self.fps), format="rgb24")
                frame.pts = index
                frame.time_base = 1 / rate
                for packet in stream.encode(frame):
                    output.mux(packet)
            for packet in stream.encode():
                output.mux(packet)
        Path(str(path) + ".part").rename(path)

    def _write_playlist(self, ended: bool) -> None:
        window = self._segments[-6:]
        first = len(self._segments) - len(window)
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{max(1, round(self.segment_seconds))}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        for name in window:
            lines += [f"#EXTINF:{self.segment_seconds:.3f},", name]
        if ended:
            lines.append("#EXT-X-ENDLIST")
        part = self.folder / "live.m3u8.part"
        part.write_text("\n".join(lines) + "\n")
        part.rename(self.folder / "live.m3u8")


def wait_until(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s")
        time.sleep(0.1)
