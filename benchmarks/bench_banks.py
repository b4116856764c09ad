"""Hash-bank lookups: index size against build time, memory and lookups per second; recall of
planted near-copies; what the bank stage costs the pipeline.

Prints figures; asserts nothing. Run on the machine being sized::

    python benchmarks/bench_banks.py [--sizes 100000,1000000,10000000] [--queries 4000]

1. For each size: that many random PDQ hashes, plus ``--planted`` near-copies of some of them
   (1 to 31 bits flipped at random, the distance a bank matches at by default). Build time of
   the in-memory index (``modgate.banks.index.HammingIndex``, what each process holds per
   bank), the resident memory it adds, lookups per second at distance 31 (a batch of queries
   spread over both cores, and one query at a time on one thread, as the pipeline asks), and
   the share of planted copies found (the index is exact: it must be 100 %). Targets, from
   HMA's roadmap: ≤ 4 GB and ≥ 4,000 lookups/s at 10 million. CPU milliseconds per lookup
   are printed beside the rates, and what two idle cores would do at that cost: on a shared
   machine the wall-clock rates say more about the neighbours than about the index.
2. The pipeline's bank stage with a 1-million-hash bank: per image, the detection stage alone
   (decode + the default detectors without OCR) against the same plus hashing the stored image
   and looking it up. Target: ratio ≥ 0.9.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_detection import test_jpegs  # noqa: E402

from modgate.banks.index import HammingIndex  # noqa: E402
from modgate.banks.signals import pdq_variants  # noqa: E402

RADIUS = 31


def rss_mb() -> float:
    """This process's resident memory now, MiB."""
    with open(f"/proc/{os.getpid()}/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def planted_copies(codes: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Near-copies of ``count`` of ``codes``: each with 1 to ``RADIUS`` random bits flipped."""
    picked = rng.choice(len(codes), count, replace=False)
    copies = codes[picked].copy()
    for row in range(count):
        for bit in rng.choice(256, int(rng.integers(1, RADIUS + 1)), replace=False):
            copies[row, bit // 8] ^= 1 << (bit % 8)
    return picked, copies


def index_figures(size: int, planted: int, queries: int, rng: np.random.Generator) -> None:
    before = rss_mb()
    codes = rng.integers(0, 256, (size, 32), dtype=np.uint8)  # as read from the database
    picked, copies = planted_copies(codes, planted, rng)
    start = time.perf_counter()
    index = HammingIndex()
    index.add(codes, np.arange(size, dtype=np.int64))
    built = time.perf_counter() - start
    del codes  # the index keeps its own form of them
    added = rss_mb() - before
    strangers = rng.integers(0, 256, (queries, 32), dtype=np.uint8)
    index.search(copies[:32], RADIUS)  # compile and warm up
    index.search(copies[:1], RADIUS)
    start, cpu = time.perf_counter(), time.process_time()
    found = index.search(copies, RADIUS)
    index.search(strangers, RADIUS)
    batch = (planted + queries) / (time.perf_counter() - start)
    batch_cpu = 1000 * (time.process_time() - cpu) / (planted + queries)
    single_count = min(2000, queries)
    start, cpu = time.perf_counter(), time.process_time()
    for row in range(single_count):
        index.search(strangers[row : row + 1], RADIUS)
    single = single_count / (time.perf_counter() - start)
    single_cpu = 1000 * (time.process_time() - cpu) / single_count
    recall = (
        sum(
            int(p) in {owner for _, owner, _ in hits} for p, hits in zip(picked, found, strict=True)
        )
        / planted
    )
    print(
        f"{size:>11,} hashes  build {built:7.1f} s  +{added:7.0f} MiB resident  "
        f"batch {batch:7.0f} lookups/s ({batch_cpu:.3f} CPU ms each: {2000 / batch_cpu:5.0f}/s "
        f"on 2 idle cores)  one at a time {single:6.0f}/s ({single_cpu:.3f} CPU ms)  "
        f"recall of {planted} planted copies {100 * recall:.1f} %",
        flush=True,
    )


def pipeline_ratio(images: int, bank_size: int, rng: np.random.Generator) -> None:
    from modgate.detection.engine import DetectionEngine
    from modgate.media.previews import to_rgb
    from modgate.media.scale import draft_long_side
    from modgate.settings import load_settings

    jpegs = test_jpegs(images)
    engine = DetectionEngine.from_settings(load_settings(detection={"disabled": ["ocr"]}))
    index = HammingIndex()
    index.add(rng.integers(0, 256, (bank_size, 32), dtype=np.uint8), np.arange(bank_size))

    def detect(data: bytes) -> None:
        with Image.open(io.BytesIO(data)) as image:
            draft_long_side(image, engine.max_side)
            image.load()
            engine.detect_image(to_rgb(image))

    def bank_stage(data: bytes) -> None:
        with Image.open(io.BytesIO(data)) as image:
            draft_long_side(image, 512)
            image.load()
            picture, mirror = pdq_variants(image)
        index.search(
            np.frombuffer(bytes.fromhex(picture.value + mirror.value), np.uint8).reshape(2, 32),
            RADIUS,
        )

    detect(jpegs[0])
    bank_stage(jpegs[0])
    # CPU time of this process (every thread): a shared machine's other work does not count.
    start = time.process_time()
    for data in jpegs:
        detect(data)
    alone = time.process_time() - start
    start = time.process_time()
    for data in jpegs:
        bank_stage(data)
    banked = time.process_time() - start
    engine.close()
    print(
        f"pipeline, {images} images, bank of {bank_size:,}: "
        f"detection {1000 * alone / images:.1f} ms/image, "
        f"bank stage {1000 * banked / images:.1f} ms/image, "
        f"ratio {alone / (alone + banked):.3f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--planted", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=4000)
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--pipeline-bank", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(20261205)
    for size in (int(s) for s in args.sizes.split(",")):
        index_figures(size, args.planted, args.queries, rng)
    if args.images:
        pipeline_ratio(args.images, args.pipeline_bank, rng)


if __name__ == "__main__":
    main()
