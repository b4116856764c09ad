"""Intake throughput: 1,000 mixed images through validation (a real decode) + sha256 + local
store + a database row, beside the bare cost of reading + hashing + copying the same files, in
the same run. Previews are not part of intake: they are made when an item goes to review or
is first asked for.

Usage: python benchmarks/bench_intake.py [--count 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from modgate.db import make_engine, session_factory, upgrade
from modgate.media import LocalBlobStore, MediaLimits, MediaService, SqlMediaStore

SIZES = [(640, 480), (1024, 768), (1280, 960), (800, 800), (1920, 1080)]
FORMATS = ["JPEG", "JPEG", "JPEG", "PNG", "WEBP"]


def make_images(folder: Path, count: int) -> list[Path]:
    rng = np.random.default_rng(0)
    paths = []
    for index in range(count):
        width, height = SIZES[index % len(SIZES)]
        fmt = FORMATS[index % len(FORMATS)]
        base = rng.integers(0, 256, size=(height // 16, width // 16, 3), dtype=np.uint8)
        image = Image.fromarray(base, "RGB").resize((width, height), Image.Resampling.BILINEAR)
        out = io.BytesIO()
        image.save(out, format=fmt, **({"quality": 85} if fmt != "PNG" else {}))
        path = folder / f"img{index:05d}.{fmt.lower()}"
        path.write_bytes(out.getvalue())
        paths.append(path)
    return paths


def bare(paths: list[Path], target: Path) -> float:
    target.mkdir()
    start = time.perf_counter()
    for path in paths:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        (target / digest).write_bytes(data)
    return time.perf_counter() - start


def intake(paths: list[Path], root: Path) -> float:
    url = f"sqlite:///{root / 'modgate.db'}"
    engine = make_engine(url)
    upgrade(url, engine)
    service = MediaService(
        SqlMediaStore(session_factory(engine)), LocalBlobStore(root / "blobs"), MediaLimits()
    )
    start = time.perf_counter()
    for path in paths:
        service.ingest_path(path)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="modgate-bench-"))
    try:
        paths = make_images(work / "in", args.count) if (work / "in").mkdir() is None else []
        megabytes = sum(p.stat().st_size for p in paths) / 1e6
        bare_s = bare(paths, work / "bare")
        intake_s = intake(paths, work / "intake")
        print(f"images: {len(paths)} ({megabytes:.1f} MB), sizes {SIZES}, formats JPEG/PNG/WebP")
        print(
            f"bare read+sha256+copy : {len(paths) / bare_s:8.1f} files/s "
            f"{megabytes / bare_s:8.1f} MB/s"
        )
        print(
            f"full intake           : {len(paths) / intake_s:8.1f} files/s "
            f"{megabytes / intake_s:8.1f} MB/s"
        )
        print(
            f"intake / bare time ratio: {intake_s / bare_s:.1f}x "
            "(intake also decodes every image, fsyncs the blob and commits a row)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
