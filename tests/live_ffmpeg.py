"""Live RTMP and SRT sources made in the test: a generated clip (the frames of ``LiveHls``: a
noisy gradient with a red marker scene at a known time) published on 127.0.0.1 by Debian's
``ffmpeg`` at the pace of real time (``-re``), listening as the server the worker connects to
(RTMP ``-listen 1``, SRT ``mode=listener``). PyAV's own FFmpeg cannot be the server: it opens
its outputs without protocol options.

The publisher listens from the start and sends its first picture when the worker connects;
``stall()`` freezes it (the connection stays open, nothing more comes).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
from fractions import Fraction
from pathlib import Path

import av
import pytest

from live_hls import MarkerFrames
from servers import free_port

FFMPEG = shutil.which("ffmpeg")


def need_ffmpeg() -> str:
    """Debian's ffmpeg (``scripts/ensure-ffmpeg.sh`` installs it); the test skips, saying so,
    only when it is truly missing."""
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed: run scripts/ensure-ffmpeg.sh")
    return FFMPEG


def write_clip(
    path: Path,
    seconds: float,
    marker: tuple[float, float] | None,
    fps: int = 10,
    size: tuple[int, int] = (160, 120),
) -> Path:
    """An H.264 clip in MPEG-TS of ``seconds`` with a keyframe every second."""
    frames = MarkerFrames(marker, size)
    rate = Fraction(fps)
    with av.open(str(path), mode="w", format="mpegts") as output:
        stream = output.add_stream("libx264", rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(fps), "bf": "0"}
        stream.codec_context.time_base = 1 / rate
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(frames.at(index / fps), format="rgb24")
            frame.pts = index
            frame.time_base = 1 / rate
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return path


class LivePublisher:
    """``clips`` published live one after the other on ``url`` (``scheme`` ``rtmp`` or
    ``srt``) by ffmpeg: when one ends, its connection closes and the next one listens on the
    same port (a source that drops and comes back)."""

    def __init__(self, clips: list[Path], scheme: str = "rtmp") -> None:
        self.ffmpeg = need_ffmpeg()
        self.clips = clips
        self.scheme = scheme
        self.port = free_port()
        if scheme == "rtmp":
            self.url = f"rtmp://127.0.0.1:{self.port}/live/cam"
            self._target = ["-f", "flv", "-listen", "1", self.url]
        else:
            self.url = f"srt://127.0.0.1:{self.port}"
            self._target = ["-f", "mpegts", f"{self.url}?mode=listener"]
        self.process: subprocess.Popen[bytes] | None = None
        self.log = clips[0].with_suffix(f".{scheme}.log")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._publish, daemon=True)

    def __enter__(self) -> LivePublisher:
        self._thread.start()
        return self

    def _publish(self) -> None:
        for clip in self.clips:
            command = [self.ffmpeg, "-nostdin", "-loglevel", "warning", "-re"]
            command += ["-i", str(clip), "-c", "copy", *self._target]
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(command, stdout=log, stderr=log)
            while self.process.poll() is None:
                if self._stop.wait(0.05):
                    return

    def stall(self) -> None:
        """Nothing more comes; the connection stays open."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def ended(self, timeout: float) -> bool:
        """Whether the last publisher ended within ``timeout`` (the reader let go: ffmpeg
        stops when its connection closes)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
