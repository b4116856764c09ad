"""Detection stage throughput, its bound from bare model time, memory, cold start and OCR cost.

Prints figures and ratios; asserts nothing. Run on the machine being sized::

    python benchmarks/bench_detection.py [--images 64] [--threads 2]

1. Throughput: 1024 × 768 JPEG bytes → decode → ``DetectionEngine.detect_frames`` (default
   detectors, no OCR), images/s over the whole stage.
2. Bound: each model's bare inference time per image (``session.run`` on a prepared input, one
   thread, median), combined as ``min(cores / Σ t, 1 / max serial t)`` — the most the cores could do
   with no decode, resize, fusion or scheduling. Target: throughput ≥ 0.85 × bound, ≥ 12 images/s.
3. A fresh process loading every detector (OCR included): cold-start seconds, peak resident memory.
4. OCR: seconds per image with and without text.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
from PIL import Image

from modgate.detection.base import Detector
from modgate.detection.engine import DetectionEngine
from modgate.detection.frames import PreparedImage
from modgate.settings import Settings


def test_jpegs(count: int) -> list[bytes]:
    """``count`` distinct 1024 × 768 JPEGs cut from photos that ship in scikit-image/-learn."""
    from skimage import data
    from sklearn.datasets import load_sample_images

    sources = [
        data.astronaut(),
        data.coffee(),
        data.chelsea(),
        data.rocket(),
        *load_sample_images().images,
    ]
    jpegs = []
    for index in range(count):
        image = Image.fromarray(np.asarray(sources[index % len(sources)]))
        image = image.resize((1024 + index % 7, 768 + index % 5)).crop((0, 0, 1024, 768))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        jpegs.append(buffer.getvalue())
    return jpegs


def bare_call(detector: Detector, image: PreparedImage) -> Any:
    """A no-argument function running the detector's model alone on a prepared input."""
    name = detector.name
    call: Any
    if name == "hands":
        pixels = np.ascontiguousarray(image.resized(640, 480))
        call = lambda: detector.hands.process(pixels)  # type: ignore[attr-defined]  # noqa: E731
    else:
        session = detector.session  # type: ignore[attr-defined]
        feeds = {
            "nudenet": lambda: {"images": np.zeros((1, 3, 320, 320), np.float32)},
            "open_nsfw": lambda: {"input:0": np.zeros((1, 224, 224, 3), np.float32)},
            "nsfwjs": lambda: {"input": np.zeros((1, 224, 224, 3), np.float32)},
            "imagenet": lambda: {"input": np.zeros((1, 3, 224, 224), np.float32)},
        }[name]()
        feeds = {
            key: np.random.default_rng(0).random(value.shape, np.float32)
            for key, value in feeds.items()
        }
        call = lambda: session.run(None, feeds)  # noqa: E731
    return call


def bare_seconds(detector: Detector, image: PreparedImage, repeats: int = 15) -> float:
    """Median time of the model call alone, on an input prepared beforehand."""
    call = bare_call(detector, image)
    for _ in range(3):
        call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bare_on_pool(engine: DetectionEngine, image: PreparedImage, count: int, threads: int) -> float:
    """Images/s of the bare model calls alone, scheduled on a pool like the engine's."""
    from concurrent.futures import ThreadPoolExecutor

    calls = [bare_call(detector, image) for detector in engine.detectors]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda call: call(), calls * 2))
        started = time.perf_counter()
        list(pool.map(lambda call: call(), calls * count))
        return count / (time.perf_counter() - started)


def throughput(engine: DetectionEngine, jpegs: list[bytes], batch: int) -> float:
    def run(items: list[bytes]) -> None:
        for start in range(0, len(items), batch):
            frames = [Image.open(io.BytesIO(data)) for data in items[start : start + batch]]
            engine.detect_frames(frames)

    run(jpegs[:batch])  # warm-up
    started = time.perf_counter()
    run(jpegs)
    return len(jpegs) / (time.perf_counter() - started)


COLD_START = """
import json, resource, time
started = time.perf_counter()
from modgate.detection.engine import DetectionEngine
from modgate.settings import Settings
engine = DetectionEngine.from_settings(Settings(detection={"enabled": %s}))
loaded = time.perf_counter() - started
from PIL import Image
import numpy as np
engine.detect_image(Image.fromarray(np.zeros((768, 1024, 3), np.uint8)))
first = time.perf_counter() - started
print(json.dumps({"load": loaded, "first": first,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def cold_start(names: list[str]) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-c", COLD_START % json.dumps(names)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def ocr_cost(jpegs: list[bytes]) -> tuple[float, float] | None:
    from modgate.detection.registry import available_detectors

    cls = available_detectors().get("ocr")
    if cls is None or cls.missing_requirements():
        return None
    from skimage import data

    detector = cls(threads=1)
    detector.setup()
    with_text = [Image.fromarray(data.page()), Image.fromarray(data.text())]
    without = [Image.open(io.BytesIO(jpeg)) for jpeg in jpegs[:4]]

    def seconds(images: list[Image.Image]) -> float:
        detector.predict([PreparedImage(images[0])])
        started = time.perf_counter()
        for image in images:
            detector.predict([PreparedImage(image)])
        return (time.perf_counter() - started) / len(images)

    return seconds(with_text), seconds(without)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--session-threads", type=int, default=1)
    parser.add_argument("--no-cold-start", action="store_true")
    arguments = parser.parse_args()
    jpegs = test_jpegs(arguments.images)
    settings = Settings(
        detection={
            "threads": arguments.threads,
            "disabled": ["ocr"],
            "session_threads": arguments.session_threads,
        }
    )
    engine = DetectionEngine.from_settings(settings)
    print(f"detectors: {engine.model_version}")
    print(f"cores used: {arguments.threads}; images: {len(jpegs)} JPEG 1024x768")

    sample = PreparedImage(Image.open(io.BytesIO(jpegs[0])))
    bare = {detector.name: bare_seconds(detector, sample) for detector in engine.detectors}
    for name, seconds in bare.items():
        print(f"  bare inference {name:10s} {seconds * 1000:7.2f} ms")
    serial = max([bare.get("hands", 0.0)])  # MediaPipe's graph runs one call at a time
    # Sessions run side by side on the pool; each uses session_threads of the cores.
    cores = min(arguments.threads, os.cpu_count() or 1)
    parallel = max(1, cores // arguments.session_threads)
    bound = min(parallel / sum(bare.values()), 1 / serial if serial else float("inf"))

    on_pool = bare_on_pool(engine, sample, len(jpegs), arguments.threads)
    measured = throughput(engine, jpegs, arguments.batch)
    engine.close()
    print(
        f"bare model calls alone on the same pool: {on_pool:6.2f} images/s "
        f"({on_pool / bound:.2f} of the bound: cores slowing each other down)"
    )
    print(f"detection stage: {measured:6.2f} images/s (decode + resize + models + fusion)")
    print(f"bound from bare model time: {bound:6.2f} images/s")
    print(
        f"stage / bare calls on the same pool: {measured / on_pool:.2f} (the share of the "
        "cores' model throughput the stage keeps, under the machine's load of this run)"
    )
    print(
        f"ratio: {measured / bound:.2f} (target >= 0.85); target >= 12 images/s: "
        f"{'met' if measured >= 12 else 'NOT met'}"
    )

    if arguments.no_cold_start:
        return
    all_names = [d.name for d in engine.detectors] + ["ocr"]
    cold = cold_start(all_names)
    print(
        f"fresh process, all detectors incl. OCR: loaded in {cold['load']:.2f} s, first image "
        f"done at {cold['first']:.2f} s, peak resident memory {cold['peak_mb']:.0f} MB "
        f"(target <= 1536 MB)"
    )
    costs = ocr_cost(jpegs)
    if costs:
        print(f"OCR: {costs[0]:.3f} s/image with text, {costs[1]:.3f} s/image without text")


if __name__ == "__main__":
    main()
