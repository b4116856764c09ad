"""The cascade: the share of items sent to a remote detector, and the time saved against sending
every item, on the benchmark images.

Prints figures; asserts nothing. Run on the machine being sized::

    python benchmarks/bench_cascade.py [--images 32] [--clients 4] [--remote-ms 150]

The local detectors are the default ones (no OCR); the remote one is ``openai_guard`` against a
fake OpenAI-compatible server on 127.0.0.1 that answers after ``--remote-ms`` milliseconds per
request (a served vision model's latency; the six default category sets are six requests per
item). One engine, one surface per rule; each rule moderates the same distinct 1024 × 768 JPEGs
(cut from photos that ship in scikit-image/-learn, as in bench_detection.py) from ``--clients``
threads, as jobs run at once in a server. For each rule: items per second, the share sent
remote (the cascade's own counters), remote requests, and the time saved against ``always``.
"""

from __future__ import annotations

import argparse
import io
import time
from concurrent.futures import ThreadPoolExecutor

from bench_detection import test_jpegs
from PIL import Image

from modgate.detection.engine import DetectionEngine
from modgate.detection.remote.testing import FakeGuardServer
from modgate.detection.remote.usage import remote_usage
from modgate.settings import Settings

LOCAL = ["nudenet", "open_nsfw", "nsfwjs", "imagenet", "hands"]
RULES = {
    "local only": {"remote": "never"},
    "band 20-80": {"remote": "uncertain", "band": [20, 80]},
    "band 10-90": {"remote": "uncertain", "band": [10, 90]},
    "band 5-95": {"remote": "uncertain", "band": [5, 95]},
    "always": {"remote": "always"},
}


def run(engine: DetectionEngine, surface: str, jpegs: list[bytes], clients: int) -> float:
    view = engine.for_surface(surface)

    def one(data: bytes) -> None:
        view.detect(Image.open(io.BytesIO(data)))

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, jpegs))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--remote-ms", type=float, default=150.0)
    args = parser.parse_args()
    jpegs = test_jpegs(args.images)
    rows: list[tuple[str, float, float, int]] = []
    with FakeGuardServer(delay=args.remote_ms / 1000) as guard:
        settings = Settings(
            outbound_allow="127.0.0.1/32",
            detection={
                "enabled": [*LOCAL, "openai_guard"],
                "options": {
                    "openai_guard": {
                        "base_url": guard.base_url,
                        "model": "bench",
                        "concurrency": args.clients,
                        "timeout_seconds": 30,
                    }
                },
                "cascade": RULES,
            },
        )
        with DetectionEngine.from_settings(settings) as engine:
            run(engine, "local only", jpegs, args.clients)  # warm the sessions and caches
            print(
                f"{args.images} images, {args.clients} clients, remote answer "
                f"{args.remote_ms:g} ms/request, {len(engine.remote[0].settings.categories)} "
                "requests per item sent remote"
            )
            rows = []
            for surface in RULES:
                before = remote_usage().snapshot()
                requests_before = len(guard.requests)
                seconds = run(engine, surface, jpegs, args.clients)
                after = remote_usage().snapshot()
                looked = after.cascade[surface][0] - before.cascade.get(surface, (0, 0))[0]
                sent = after.cascade[surface][1] - before.cascade.get(surface, (0, 0))[1]
                rows.append(
                    (surface, seconds, sent / looked, len(guard.requests) - requests_before)
                )
    always = next(seconds for surface, seconds, _, _ in rows if surface == "always")
    print(f"{'rule':<12} {'items/s':>8} {'sent remote':>12} {'requests':>9} {'time saved':>11}")
    for surface, seconds, share, requests in rows:
        saved = 1 - seconds / always
        print(
            f"{surface:<12} {args.images / seconds:>8.2f} {share:>12.1%} {requests:>9d} "
            f"{saved:>11.1%}"
        )
    print("time saved: 1 - wall time of the rule / wall time of sending every item")


if __name__ == "__main__":
    main()
