"""Live streams: how many 720p streams sampled at 1 fps one worker process holds on two cores
with the default detectors, and the delay from a frame's publication to its
``stream.segment.started`` event.

Prints figures; asserts nothing. Run on the machine being sized::

    python benchmarks/bench_streams.py [--streams 4,8,10] [--seconds 40]

Each stream is a live HLS stream on 127.0.0.1: one-second H.264 segments of a 1280 × 720,
25 fps video (a pan over a photo, fast enough that no sample reuses the detections of the one
before, with a red scene of two seconds every ten seconds),
encoded once before the clock starts and published into each stream's playlist as the
seconds pass (the streams' starts are spread over a second). A ``modgate worker``'s services
(SQLite, local blobs) hold every stream (``MODGATE_STREAMS__WORKERS``); the detectors are the
default ones (no OCR) plus the ``marker`` test detector, which flags the red scenes, so each
scene opens a segment at a known time.

Per number of streams:

* held: streams that kept up, that is, never skipped to the live edge (``skipped_ms`` 0) and
  sampled at least 90 % of the seconds they ran; target: 8 streams held;
* samples a second over all streams, the process's CPU use (cores) and CPU time per sample
  (a second of one stream: 25 frames decoded, one sampled and detected, its results committed),
  with the number of streams two idle cores would hold at that cost (on a machine shared with
  other work the process gets less than two cores: the load average is printed beside);
* delay: from the publication of the segment that holds a red scene's first frame (its entry in
  the playlist) to the commit of the ``stream.segment.started`` event of that scene
  (p50, p95, max); target p95 ≤ 3 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from fractions import Fraction
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from modgate.events import EventRow  # noqa: E402
from modgate.services import Services  # noqa: E402
from modgate.settings import load_settings  # noqa: E402

SIZE = (1280, 720)
FPS = 25
MARKER_EVERY, MARKER_LENGTH, MARKER_FIRST = 10, 2, 5
# What the marker detector is told to say of a red picture: a label no default detector
# speaks to, so fusion keeps its confidence.
LABEL = "Gambling"
DETECTION = {"options": {"marker": {"label": LABEL}}}
DEFAULT_DETECTORS = ["hands", "imagenet", "nsfwjs", "nudenet", "open_nsfw", "marker"]


def _photo() -> np.ndarray:
    from skimage import data

    return np.asarray(Image.fromarray(data.astronaut()).resize((2560, 1440)))


def encode(folder: Path, seconds: int) -> None:
    """``seconds`` one-second MPEG-TS segments of the pan with red scenes, into ``folder``."""
    photo = _photo()
    red = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    red[..., 0] = 255
    rate = Fraction(FPS)
    for index in range(seconds):
        with av.open(str(folder / f"seg{index:05d}.ts"), mode="w", format="mpegts") as output:
            stream = output.add_stream("libx264", rate=rate)
            stream.width, stream.height = SIZE
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "ultrafast", "g": str(FPS)}
            stream.codec_context.time_base = 1 / rate
            for offset in range(FPS):
                frame_index = index * FPS + offset
                second = frame_index / FPS
                in_marker = (
                    second >= MARKER_FIRST
                    and (second - MARKER_FIRST) % MARKER_EVERY < MARKER_LENGTH
                )
                # A pan of 12 pixels a frame, back and forth: every sample shows a new picture
                # (none reuses the one before's detections).
                span = photo.shape[1] - SIZE[0]
                x = (frame_index * 12) % (2 * span)
                x = x if x < span else 2 * span - x
                pixels = red if in_marker else photo[: SIZE[1], x : x + SIZE[0]]
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
                frame.pts, frame.time_base = frame_index, 1 / rate
                for packet in stream.encode(frame):
                    output.mux(packet)
            for packet in stream.encode():
                output.mux(packet)


class Publisher:
    """Publishes segment ``i`` of stream ``s`` at ``start + s × spread + i + 1`` seconds."""

    def __init__(self, root: Path, streams: int, seconds: int, spread: float = 1.0) -> None:
        self.root, self.streams, self.seconds = root, streams, seconds
        self.offsets = [spread * s / max(1, streams) for s in range(streams)]
        self.published: dict[tuple[int, int], float] = {}  # (stream, segment) → epoch
        self._stop = threading.Event()
        for s in range(streams):
            (root / f"s{s}").mkdir()
            self._playlist(s, 0)

    def _playlist(self, stream: int, count: int) -> None:
        first = max(0, count - 6)
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1"]
        lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first}")
        for index in range(first, count):
            lines += ["#EXTINF:1.000,", f"../segs/seg{index:05d}.ts"]
        part = self.root / f"s{stream}" / "live.m3u8.part"
        part.write_text("\n".join(lines) + "\n")
        part.rename(self.root / f"s{stream}" / "live.m3u8")

    def run(self) -> None:
        start = time.monotonic()
        due = sorted(
            (offset + index + 1, s, index)
            for s, offset in enumerate(self.offsets)
            for index in range(self.seconds)
        )
        for at, stream, index in due:
            if self._stop.wait(max(0.0, start + at - time.monotonic())):
                return
            self._playlist(stream, index + 1)
            self.published[(stream, index)] = time.time()

    def stop(self) -> None:
        self._stop.set()


def serve(root: Path) -> ThreadingHTTPServer:
    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def marker_starts(seconds: int) -> list[int]:
    return list(range(MARKER_FIRST, seconds - MARKER_LENGTH, MARKER_EVERY))


def run(count: int, seconds: int, segments: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="modgate-bench-streams-") as folder:
        root = Path(folder)
        (root / "segs").symlink_to(segments)
        publisher = Publisher(root, count, seconds)
        server = serve(root)
        port = server.server_address[1]
        settings = load_settings(
            data_dir=root / "data",
            detection={"enabled": DEFAULT_DETECTORS, **DETECTION},
            outbound_allow="127.0.0.1",
            streams={"workers": count, "per_tenant": count, "poll_seconds": 0.2},
        )
        services = Services.build(settings, role="worker")
        services.pipeline.engine()  # loaded before the clock starts
        try:
            ids = [
                services.streams.create(
                    f"http://127.0.0.1:{port}/s{s}/live.m3u8",
                    tenant="default",
                    actor="cli:bench@localhost",
                    fps=1.0,
                )["id"]
                for s in range(count)
            ]
            services.stream_workers.start()
            cpu_before, wall_before = _cpu(), time.monotonic()
            publishing = threading.Thread(target=publisher.run, daemon=True)
            publishing.start()
            publishing.join()
            time.sleep(3.0)  # the last segments are read
            cpu, wall = _cpu() - cpu_before, time.monotonic() - wall_before
            services.stream_workers.stop()
            return _figures(services, ids, publisher, seconds, cpu, wall)
        finally:
            publisher.stop()
            services.close()
            server.shutdown()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _figures(
    services: Any, ids: list[str], publisher: Publisher, seconds: int, cpu: float, wall: float
) -> dict[str, Any]:
    held, samples, delays = 0, 0, []
    with services.sessions() as session:
        events = list(
            session.scalars(select(EventRow).where(EventRow.name == "stream.segment.started"))
        )
    for index, stream_id in enumerate(ids):
        row = services.streams.store.get(stream_id, None)
        samples += row.samples
        ran = (row.last_sample_ms or 0) / 1000.0
        if row.skipped_ms == 0 and row.samples >= 0.9 * ran:
            held += 1
        for event in events:
            payload = event.payload
            segment = payload["segment"]
            if payload["stream_id"] != stream_id or segment["ModerationLabel"]["Name"] != LABEL:
                continue
            # Stream time 0 is the first frame the worker read: the playlist was empty when
            # the stream was created, so that is the first segment's.
            true_second = segment["StartTimestampMillis"] / 1000.0
            scene = min(marker_starts(seconds), key=lambda s: abs(s - true_second))
            published = publisher.published.get((index, scene))
            if published is not None:
                delays.append(event.created_at.timestamp() - published)
    return {
        "held": held,
        "samples_per_second": samples / wall,
        "cores": cpu / wall,
        "cpu_per_sample": cpu / max(samples, 1),
        "delays": sorted(delays),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", default="4,8,10", help="comma-separated stream counts")
    parser.add_argument("--seconds", type=int, default=40, help="length of each stream")
    arguments = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:2]))
    print(f"cores: {len(os.sched_getaffinity(0))}; load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="modgate-bench-segs-") as folder:
        segments = Path(folder)
        began = time.monotonic()
        encode(segments, arguments.seconds)
        print(
            f"encoded {arguments.seconds} s of {SIZE[0]}x{SIZE[1]} at {FPS} fps in "
            f"{time.monotonic() - began:.1f} s; red scenes at {marker_starts(arguments.seconds)} s"
        )
        for count in (int(n) for n in arguments.streams.split(",")):
            figures = run(count, arguments.seconds, segments)
            delays = figures["delays"]
            delay = (
                f"delay p50 {statistics.median(delays):.2f} s  "
                f"p95 {delays[max(0, round(0.95 * len(delays)) - 1)]:.2f} s  max {delays[-1]:.2f} s"
                f" ({len(delays)} scenes)"
                if delays
                else "no segment events"
            )
            per_sample = figures["cpu_per_sample"]
            print(
                f"{count:3d} streams at 1 fps: held {figures['held']}/{count}  "
                f"{figures['samples_per_second']:.1f} samples/s  "
                f"CPU {figures['cores']:.2f} cores, {per_sample * 1000:.0f} ms a sample "
                f"(decoding 25 frames included: {2 / per_sample:.0f} streams on 2 idle cores)  "
                f"{delay}  load average {os.getloadavg()[0]:.1f}"
            )


if __name__ == "__main__":
    main()
