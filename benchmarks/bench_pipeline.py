"""Pipeline throughput: images through the API to a committed decision beside the detection stage
alone on the same images, video speed as a multiple of real time, peak memory of the processes.

Prints figures and ratios; asserts nothing. Run on the machine being sized::

    python benchmarks/bench_pipeline.py [--images 96] [--clients 4]

1. Images: distinct 1024 × 768 JPEGs (cut from photos that ship in scikit-image/-learn), default
   detectors without OCR. (a) detection stage alone: decode + ``detect_image`` from as many
   threads as the pipeline has workers; (b) the whole path: HTTP upload with ``wait=true`` from
   several clients → intake → job → detection → policy → committed decision, embedded executor.
   Target: (b) ≥ 0.9 × (a).
2. Video: a 60 s 1280 × 720 H.264 clip at 30 fps, sampled at 1 fps: POST → completed. Target ≥ 20×
   real time. Also shown: decoding and sampling alone.
3. Memory: peak resident memory (VmHWM) of a ``modgate serve`` process and of a ``modgate worker``
   process after they have moderated images.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_detection import test_jpegs  # noqa: E402

from modgate.app import create_app  # noqa: E402
from modgate.detection.engine import DetectionEngine  # noqa: E402
from modgate.detection.video import sample_frames  # noqa: E402
from modgate.media.previews import to_rgb  # noqa: E402
from modgate.services import Services  # noqa: E402
from modgate.settings import load_settings  # noqa: E402
from servers import LiveServer, free_port  # noqa: E402

WORKERS = 2
DETECTION = {"disabled": ["ocr"]}
NO_KEYS = {"api_keys_required": False}


def detection_alone(jpegs: list[bytes], settings) -> float:  # type: ignore[no-untyped-def]
    engine = DetectionEngine.from_settings(settings)
    engine.detect_image(to_rgb(Image.open(io.BytesIO(jpegs[0]))))  # warm up

    def one(data: bytes) -> None:
        with Image.open(io.BytesIO(data)) as image:
            engine.detect_image(to_rgb(image))

    start = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(one, jpegs))
    elapsed = time.perf_counter() - start
    engine.close()
    return len(jpegs) / elapsed


def through_api(jpegs: list[bytes], settings, clients: int) -> float:  # type: ignore[no-untyped-def]
    services = Services.from_settings(settings)
    local = threading.local()

    def client() -> httpx.Client:  # one keep-alive connection per client thread, as real clients
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=server.url, timeout=300)
        return local.client  # type: ignore[no-any-return]

    with LiveServer(create_app(settings, services)) as server:
        warm = client().post(
            "/v1/moderations",
            params={"wait": "true"},
            files={"file": ("w.jpg", _jpeg_variant(jpegs[0]))},
        )
        warm.raise_for_status()

        def one(data: bytes) -> None:
            response = client().post(
                "/v1/moderations", params={"wait": "true"}, files={"file": ("x.jpg", data)}
            )
            if response.json().get("status") != "completed":
                raise RuntimeError(response.text)

        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(one, jpegs))
        elapsed = time.perf_counter() - start
    services.close()
    return len(jpegs) / elapsed


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


def video(settings, clip: Path) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    samples = sum(1 for _ in sample_frames(clip, 1.0, settings.pipeline.scene_threshold))
    decode_s = time.perf_counter() - start
    services = Services.from_settings(settings)
    with LiveServer(create_app(settings, services)) as server:
        # A running server is warm: one small image first, as the image benchmark does.
        httpx.post(
            f"{server.url}/v1/moderations",
            params={"wait": "true"},
            files={"file": ("w.jpg", _jpeg_variant(test_jpegs(1)[0]))},
            timeout=300,
        ).raise_for_status()
        start = time.perf_counter()
        moderation = httpx.post(
            f"{server.url}/v1/moderations",
            files={"file": ("clip.mp4", clip.read_bytes())},
            timeout=300,
        ).json()
        while True:  # a client polling five times a second
            body = httpx.get(f"{server.url}/v1/moderations/{moderation['id']}").json()
            if body["status"] in ("completed", "failed"):
                break
            time.sleep(0.2)
        total_s = time.perf_counter() - start
    services.close()
    print(
        f"video: {samples} samples; decode+sample alone {decode_s:.2f} s "
        f"({60 / decode_s:.0f}x real time)"
    )
    return total_s, decode_s


def peak_memory(data_dir: Path, jpegs: list[bytes]) -> tuple[int, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")}
    env |= {
        "MODGATE_DATA_DIR": str(data_dir),
        "MODGATE_DETECTION__DISABLED": '["ocr"]',
        "MODGATE_PIPELINE__WORKERS": str(WORKERS),
        "MODGATE_AUTH__API_KEYS_REQUIRED": "false",
    }
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "modgate", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        for data in jpegs[:16]:
            httpx.post(
                f"{url}/v1/moderations",
                params={"wait": "true"},
                files={"file": ("x.jpg", _jpeg_variant(data))},
                timeout=300,
            )
        serve_peak = _vm_hwm(serve.pid)
    finally:
        serve.terminate()
        serve.wait(timeout=60)
    worker_env = env | {"MODGATE_PIPELINE__WORKERS": "0"}
    submit = subprocess.run(
        [sys.executable, "-m", "modgate", "submit", str(data_dir / "in")],
        env=worker_env,
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="modgate-bench-pipeline-"))
    jpegs = test_jpegs(args.images)
    settings = load_settings(
        data_dir=work / "api",
        detection=DETECTION,
        auth=NO_KEYS,
        pipeline={"workers": WORKERS},
    )
    alone = detection_alone(jpegs, settings)
    api = through_api(jpegs, settings, args.clients)
    print(
        f"images: {len(jpegs)} distinct 1024x768 JPEGs, default detectors without OCR, "
        f"{WORKERS} workers, {args.clients} HTTP clients"
    )
    print(f"detection stage alone      : {alone:6.2f} images/s")
    print(f"API → committed decision   : {api:6.2f} images/s")
    print(
        f"ratio (target >= 0.90)     : {api / alone:6.3f}  "
        f"(overhead {100 * (1 - api / alone):.1f}%)"
    )
    clip = work / "clip.mp4"
    make_clip(clip)
    video_settings = load_settings(
        data_dir=work / "video",
        detection=DETECTION,
        auth=NO_KEYS,
        pipeline={"workers": WORKERS},
    )
    total_s, _decode_s = video(video_settings, clip)
    print(
        f"video 60 s 720p H.264 at 1 fps: {total_s:.2f} s → {60 / total_s:.1f}x real time "
        "(target >= 20x)"
    )
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
