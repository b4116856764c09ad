"""Pipeline throughput: images through the API to a committed decision beside the detection stage
alone on the same images, video speed as a multiple of real time, peak memory of the processes.

Prints figures and ratios; asserts nothing. Run on the machine being sized::

    python benchmarks/bench_pipeline.py [--images 96] [--clients 4] [--rounds 5]

1. Images: distinct 1024 × 768 JPEGs (cut from photos that ship in scikit-image/-learn), default
   detectors without OCR. (a) detection stage alone: decode (at the detectors' scale, as the
   pipeline does) + ``detect_image`` from as many threads as the pipeline runs jobs at once
   (one per client: each ``wait=true`` request runs its own job); (b) the whole path: a
   ``modgate serve`` process (embedded executor, SQLite, local blobs) taking HTTP uploads with
   ``wait=true`` from several clients, each sending an API key as the default settings require
   → intake → job → detection → policy → committed decision. The clients encode their
   multipart bodies before the clock starts and send them over keep-alive connections with
   the standard library's ``http.client``, the lightest client at hand: they share the
   server's two cores, so what they spend is shown too. Target: (b) ≥ 0.9 × (a). Also
   printed: CPU time per image of (a) and of the server in (b): the difference is what the
   path adds.
2. Video: a 60 s 1280 × 720 H.264 clip at 30 fps (six shots with a slow pan), sampled at 1 fps:
   POST → completed. Target ≥ 20× real time. Also shown: decoding and sampling alone. Then a
   mostly static 60 s clip (three still shots of 20 s, a small object crossing one of them for
   3 s), where samples that barely changed reuse the last detections: POST → completed with
   reuse (target ≥ 40× real time) and without (``MODGATE_PIPELINE__REUSE_THRESHOLD=0``), and for
   both clips the detection timeline alone with and without reuse, with the share of samples
   the models ran on.
3. Memory: peak resident memory (VmHWM) of a ``modgate serve`` process and of a ``modgate worker``
   process after they have moderated images.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_detection import test_jpegs  # noqa: E402

from modgate.detection.engine import DetectionEngine  # noqa: E402
from modgate.detection.timeline import Sampling, detect_timeline  # noqa: E402
from modgate.detection.video import BATCH, ReuseStats, sample_side  # noqa: E402
from modgate.detection.video_sampling import sample_frames  # noqa: E402
from modgate.media.previews import to_rgb  # noqa: E402
from modgate.media.scale import draft_long_side  # noqa: E402
from modgate.settings import load_settings  # noqa: E402
from servers import free_port  # noqa: E402

WORKERS = 2
# More settings for the ``modgate serve`` of ``through_api`` (other benchmarks set it).
EXTRA_ENV: dict[str, str] = {}
DETECTION = {"disabled": ["ocr"]}
NO_KEYS = {"api_keys_required": False}


def detection_alone(jpegs: list[bytes], settings, threads: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Images per second and CPU milliseconds per image of decode + detection alone."""
    engine = DetectionEngine.from_settings(settings)
    engine.detect_image(to_rgb(Image.open(io.BytesIO(jpegs[0]))))  # warm up

    def one(data: bytes) -> None:
        with Image.open(io.BytesIO(data)) as image:
            draft_long_side(image, engine.max_side)  # as intake decodes for detection
            image.load()
            engine.detect_image(to_rgb(image))

    cpu = _cpu_seconds(os.getpid())
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, jpegs))
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds(os.getpid()) - cpu
    engine.close()
    return len(jpegs) / elapsed, 1000 * cpu / len(jpegs)


def through_api(
    jpegs: list[bytes], data_dir: Path, clients: int, keys: bool = True
) -> tuple[float, float, float]:
    """Images per second through a ``modgate serve`` process, its CPU ms per image, and the
    clients' CPU ms per image. ``keys``: as by default, every request carries an API key."""
    local = threading.local()
    auth = {"Authorization": f"Bearer {_api_key(data_dir)}"} if keys else {}
    with _serve(data_dir, keys) as (url, pid):
        httpx.post(
            f"{url}/v1/moderations",
            params={"wait": "true"},
            files={"file": ("w.jpg", _jpeg_variant(jpegs[0]))},
            headers=auth,
            timeout=300,
        ).raise_for_status()
        bodies = []
        for data in jpegs:  # what a client sends, encoded before the clock starts
            request = httpx.Request(
                "POST", f"{url}/v1/moderations", files={"file": ("x.jpg", data)}
            )
            bodies.append((request.headers["content-type"], request.read()))
        port = int(url.rsplit(":", 1)[1])

        def one(body: tuple[str, bytes]) -> None:
            if not hasattr(local, "connection"):  # one keep-alive connection per client
                local.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            connection = local.connection
            connection.request(
                "POST",
                "/v1/moderations?wait=true",
                body=body[1],
                headers={"Content-Type": body[0], **auth},
            )
            response = connection.getresponse()
            text = response.read()
            if response.status != 201 or json.loads(text).get("status") != "completed":
                raise RuntimeError(text.decode())

        cpu = _cpu_seconds(pid)
        own = time.process_time()
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(one, bodies))
        elapsed = time.perf_counter() - start
        cpu = _cpu_seconds(pid) - cpu
        own = time.process_time() - own
    n = len(jpegs)
    return n / elapsed, 1000 * cpu / n, 1000 * own / n


def _env(data_dir: Path, keys: bool = False, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")}
    return (
        env
        | {
            "MODGATE_DATA_DIR": str(data_dir),
            "MODGATE_DETECTION__DISABLED": '["ocr"]',
            "MODGATE_PIPELINE__WORKERS": str(WORKERS),
            "MODGATE_AUTH__API_KEYS_REQUIRED": "true" if keys else "false",
        }
        | EXTRA_ENV
        | (extra or {})
    )


def _api_key(data_dir: Path) -> str:
    """A new API key allowed to submit moderations, made with the CLI."""
    env = _env(data_dir, keys=True)
    for command in (["db", "upgrade"], ["keys", "create", "bench", "--scope", "moderations:write"]):
        done = subprocess.run(
            [sys.executable, "-m", "modgate", *command], env=env, capture_output=True, check=True
        )
    return str(json.loads(done.stdout)["key"])


class _serve:  # noqa: N801 - used as ``with _serve(dir) as (url, pid)``
    """A ``modgate serve`` process on a free port, stopped on exit."""

    def __init__(
        self, data_dir: Path, keys: bool = False, extra: dict[str, str] | None = None
    ) -> None:
        self.data_dir = data_dir
        self.keys = keys
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> tuple[str, int]:
        port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "modgate", "serve", "--port", str(port)],
            env=_env(self.data_dir, self.keys, self.extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    return url, self.process.pid
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("modgate serve did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid``, all threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _jpeg_variant(data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data)).rotate(1)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def make_clip(path: Path, seconds: int = 60) -> None:
    import av

    frames = [
        np.asarray(Image.open(io.BytesIO(j)).convert("RGB").resize((1280, 720)))
        for j in test_jpegs(6)
    ]
    with av.open(str(path), "w") as output:
        stream = output.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.options = {"preset": "veryfast"}
        stream.time_base = Fraction(1, 30)
        for index in range(seconds * 30):
            shot = frames[(index // 300) % len(frames)]  # a new shot every 10 s
            shift = (index % 300) * 2  # a slow pan inside the shot
            frame = av.VideoFrame.from_ndarray(np.roll(shot, shift, axis=1), format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)


def make_static_clip(path: Path, seconds: int = 60) -> None:
    """Three still shots of ``seconds / 3`` each (photos with a little sensor noise), a small
    box crossing the second one for 3 s: what a webcam, a lecture or a slideshow looks like."""
    import av

    shots = [
        np.asarray(Image.open(io.BytesIO(j)).convert("RGB").resize((1280, 720)))
        for j in test_jpegs(3)
    ]
    noise = np.random.default_rng(0).integers(-2, 3, (4, 720, 1280, 3), dtype=np.int16)
    shot_frames = seconds * 30 // len(shots)
    with av.open(str(path), "w") as output:
        stream = output.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.options = {"preset": "veryfast"}
        stream.time_base = Fraction(1, 30)
        for index in range(seconds * 30):
            shot, in_shot = divmod(index, shot_frames)
            picture = np.clip(shots[shot % len(shots)] + noise[index % 4], 0, 255).astype(np.uint8)
            if shot == 1 and 150 <= in_shot < 240:  # a box crossing, 5 s to 8 s into the shot
                x = 100 + (in_shot - 150) * 12
                picture[300:400, x : x + 100] = (30, 60, 200)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)


def timeline_alone(clip: Path, settings, reuse: float) -> tuple[float, float, ReuseStats]:  # type: ignore[no-untyped-def]
    """Seconds and CPU seconds (all threads) for the pipeline's video path without the API
    (sample, detect, timeline) on a warm engine, and how many samples the models ran on."""
    engine = DetectionEngine.from_settings(settings)
    engine.detect_frames([Image.new("RGB", (320, 180))] * BATCH)  # warm up
    sampling = Sampling(settings.pipeline.video_fps, settings.pipeline.scene_threshold)
    sampling = replace(sampling, reuse_threshold=reuse)
    cpu = _cpu_seconds(os.getpid())
    start = time.perf_counter()
    found = detect_timeline(engine, clip, "video", sampling)
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds(os.getpid()) - cpu
    engine.close()
    return elapsed, cpu, found.reuse


def video_parts(clip: Path, settings) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """Seconds to decode and sample ``clip`` as the pipeline does, seconds for the detection
    stage alone on those samples (already decoded, batched as the pipeline batches them), and
    the number of samples."""
    engine = DetectionEngine.from_settings(settings)
    start = time.perf_counter()
    samples = [
        sample.image
        for sample in sample_frames(
            clip, 1.0, settings.pipeline.scene_threshold, sample_side(engine)
        )
    ]
    decode_s = time.perf_counter() - start
    engine.detect_frames(samples[:BATCH])  # warm up
    start = time.perf_counter()
    for first in range(0, len(samples), BATCH):
        engine.detect_frames(samples[first : first + BATCH])
    detect_s = time.perf_counter() - start
    engine.close()
    return decode_s, detect_s, len(samples)


def video(data_dir: Path, clip: Path, extra: dict[str, str] | None = None) -> tuple[float, float]:
    """Seconds from POST to completed for ``clip`` on a warm ``modgate serve``, and the CPU
    seconds the server spent meanwhile."""
    with _serve(data_dir, extra=extra) as (url, pid):
        # A running server is warm: one small image first, as the image benchmark does.
        httpx.post(
            f"{url}/v1/moderations",
            params={"wait": "true"},
            files={"file": ("w.jpg", _jpeg_variant(test_jpegs(1)[0]))},
            timeout=300,
        ).raise_for_status()
        body = clip.read_bytes()
        cpu = _cpu_seconds(pid)
        start = time.perf_counter()
        moderation = httpx.post(
            f"{url}/v1/moderations", files={"file": ("clip.mp4", body)}, timeout=300
        ).json()
        while True:  # a client polling five times a second
            status = httpx.get(f"{url}/v1/moderations/{moderation['id']}").json()["status"]
            if status in ("completed", "failed"):
                break
            time.sleep(0.2)
        return time.perf_counter() - start, _cpu_seconds(pid) - cpu


def peak_memory(data_dir: Path, jpegs: list[bytes]) -> tuple[int, int]:
    with _serve(data_dir) as (url, pid):
        for data in jpegs[:16]:
            httpx.post(
                f"{url}/v1/moderations",
                params={"wait": "true"},
                files={"file": ("x.jpg", _jpeg_variant(data))},
                timeout=300,
            )
        serve_peak = _vm_hwm(pid)
    env = _env(data_dir)
    submit = subprocess.run(
        [sys.executable, "-m", "modgate", "submit", str(data_dir / "in")],
        env=env | {"MODGATE_PIPELINE__WORKERS": "0"},
        capture_output=True,
        timeout=600,
    )
    if submit.returncode not in (0, 2):
        raise RuntimeError(submit.stderr.decode())
    worker = subprocess.Popen(
        [sys.executable, "-m", "modgate", "worker", "--concurrency", str(WORKERS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(25)
        worker_peak = _vm_hwm(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    return serve_peak, worker_peak


def _vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def videos(work: Path, settings) -> None:  # type: ignore[no-untyped-def]
    """The video figures: the benchmark clip, then the mostly static clip."""
    clip = work / "clip.mp4"
    make_clip(clip)
    decode_s, detect_s, samples = video_parts(clip, settings)
    print(
        f"video: {samples} samples; decode+sample alone {decode_s:.2f} s "
        f"({60 / decode_s:.0f}x real time); detection alone on those samples {detect_s:.2f} s "
        f"({60 / detect_s:.1f}x real time: the most the models allow on this machine)"
    )
    static = work / "static.mp4"
    make_static_clip(static)
    for name, path in (("benchmark clip", clip), ("static clip", static)):
        for reuse in (0.0, settings.pipeline.reuse_threshold):
            seconds, cpu, stats = timeline_alone(path, settings, reuse)
            total = stats.detected + stats.reused
            print(
                f"{name} timeline alone, reuse {reuse:g}: {seconds:.2f} s "
                f"({60 / seconds:.1f}x real time), {cpu:.2f} CPU s ({120 / cpu:.1f}x real time "
                f"if the 2 cores were ours alone); models ran on {stats.detected}/{total} samples"
            )
    total_s, total_cpu = video(work / "video", clip)
    print(
        f"video 60 s 720p H.264 at 1 fps: {total_s:.2f} s → {60 / total_s:.1f}x real time "
        f"(target >= 20x); server CPU {total_cpu:.2f} s"
    )
    static_s, static_cpu = video(work / "static", static)
    every_s, every_cpu = video(
        work / "static-every", static, {"MODGATE_PIPELINE__REUSE_THRESHOLD": "0"}
    )
    print(
        f"mostly static 60 s 720p clip: {static_s:.2f} s → {60 / static_s:.1f}x real time "
        f"(target >= 40x), server CPU {static_cpu:.2f} s ({120 / static_cpu:.1f}x real time if "
        f"the 2 cores were ours alone); without reuse {every_s:.2f} s → {60 / every_s:.1f}x, "
        f"server CPU {every_cpu:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--video-only", action="store_true", help="only the video figures")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="modgate-bench-pipeline-"))
    jpegs = test_jpegs(args.images)
    settings = load_settings(
        data_dir=work / "api",
        detection=DETECTION,
        auth=NO_KEYS,
        pipeline={"workers": WORKERS},
    )
    if args.video_only:
        videos(work, settings)
        return
    print(
        f"images: {len(jpegs)} distinct 1024x768 JPEGs, default detectors without OCR, "
        f"{WORKERS} workers, {args.clients} HTTP clients; {args.rounds} rounds, each side by side"
    )
    rounds = []
    for number in range(1, args.rounds + 1):  # alternated, so a slow spell hits both sides
        alone, alone_cpu = detection_alone(jpegs, settings, args.clients)
        api, api_cpu, client_cpu = through_api(jpegs, work / f"api{number}", args.clients)
        rounds.append((alone, api, alone_cpu, api_cpu))
        print(
            f"round {number}: detection stage alone {alone:6.2f} images/s ({alone_cpu:4.1f} ms "
            f"CPU/image) | API → committed decision {api:6.2f} images/s ({api_cpu:4.1f} ms CPU/"
            f"image in modgate serve; the clients {client_cpu:.1f} ms) | ratio {api / alone:.3f}"
        )
    columns = zip(*rounds, strict=True)
    alone, api, alone_cpu, api_cpu = (statistics.median(column) for column in columns)
    ratios = sorted(round_[1] / round_[0] for round_ in rounds)
    print(f"detection stage alone      : {alone:6.2f} images/s  ({alone_cpu:5.1f} ms CPU/image)")
    print(f"API → committed decision   : {api:6.2f} images/s  ({api_cpu:5.1f} ms CPU/image)")
    print(
        f"ratio (target >= 0.90)     : {statistics.median(ratios):6.3f}  (median of the rounds, "
        f"{ratios[0]:.3f}–{ratios[-1]:.3f}; medians above; the path adds "
        f"{api_cpu - alone_cpu:.1f} ms CPU per image)"
    )
    videos(work, settings)
    if not args.skip_memory:
        folder = work / "mem" / "in"
        folder.mkdir(parents=True)
        for index, data in enumerate(jpegs[16:48]):
            (folder / f"{index}.jpg").write_bytes(_jpeg_variant(data))
        serve_peak, worker_peak = peak_memory(work / "mem", jpegs)
        print(
            f"peak memory: modgate serve {serve_peak / 2**20:.0f} MiB, "
            f"modgate worker {worker_peak / 2**20:.0f} MiB"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
