"""Text moderation throughput: the text detection stage alone and texts through the API with
``wait=true``, side by side on the same short comments.

Prints figures and ratios; asserts nothing. Run on the machine being sized::

    python benchmarks/bench_text.py [--texts 4000] [--api-texts 600] [--clients 4]
        [--database-url postgresql+psycopg://…]

1. Detection stage (normalisation + word lists + classifier + PII finders, ``TextEngine``):
   (a) one process, batches of 64; (b) two processes (one per core), batches of 64 — target
   ≥ 2,000 short comments/s on 2 cores; (c) one text at a time from as many threads as there
   are API clients (what the API's ``wait=true`` requests do, each running its own job).
2. Through the API: a ``modgate serve`` process (embedded executor, SQLite, local blobs) taking
   JSON ``{"text": …}`` with ``wait=true`` from several keep-alive clients, each sending an API
   key → text intake (the text's blob flushed to disk) → detection → policy → the moderation,
   its job, its decision and their events and audit entries committed (one transaction, shared
   with the concurrent requests') → the answer. Target ≥ 0.9 × (1c). Also printed: the
   server's CPU milliseconds per text, against the stage's.
   (2b) The floor of that route on the same server and clients: a text refused as empty
   (HTTP, API key, JSON body read and checked, 400 answered; nothing detected or stored).
   One server process runs its Python on one core at a time, so its requests/s is bounded by
   1000 / (CPU ms per request): with a short comment's detection at ~0.1 ms and the bare
   route at ~1 ms, 0.9 × (1c) is out of reach for any route served in Python; the figures
   show by how much, and what the durable path adds on top of the floor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import EXTRA_ENV, _api_key, _cpu_seconds, _serve  # noqa: E402

from modgate.detection.settings import DetectionSettings  # noqa: E402
from modgate.detection.text.engine import TextEngine  # noqa: E402

BATCH = 64
OPENERS = ["", "lol ", "omg ", "honestly ", "ok so ", "wow, ", "hey @streamer ", "yo "]
MIDDLES = [
    "great stream today",
    "that play was insane",
    "you are such an idiot",
    "this is fucking awesome",
    "what a load of sh1t",
    "dm me on insta",
    "mail me at fan{n}@example.com",
    "call me on +44 7700 900{n:03d}",
    "nice shot, gg",
    "I will find you",
    "see www.example.com/promo{n}",
    "best clip this week",
]
CLOSERS = ["", "!", "!!", " :)", " haha", " 🔥", " again", " tbh"]


def comments(count: int, seed: int = 7) -> list[str]:
    """Distinct short comments (about 20–60 characters), one in five profane or abusive."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        middle = rng.choice(MIDDLES).format(n=n % 1000)
        out.append(f"{rng.choice(OPENERS)}{middle}{rng.choice(CLOSERS)} #{n}")
    return out


_ENGINE: list[TextEngine] = []


def _load() -> None:
    """Each process loads the engine once, before the clock starts."""
    _ENGINE.append(TextEngine.from_settings(DetectionSettings()))
    _ENGINE[0].detect_many(comments(BATCH, seed=1))


def _batches(texts: list[str]) -> float:
    """CPU seconds spent detecting ``texts``."""
    cpu = time.process_time()
    for start in range(0, len(texts), BATCH):
        _ENGINE[0].detect_many(texts[start : start + BATCH])
    return time.process_time() - cpu


def stage_batches(texts: list[str], processes: int) -> tuple[float, float]:
    """Texts per second of the stage in ``processes`` processes, in batches, and CPU ms per
    text (on a machine shared with other work, texts/s falls; CPU time per text does not)."""
    share = [texts[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(processes, initializer=_load) as pool:
        list(pool.map(time.sleep, [0.5] * processes))  # every process started and loaded
        start = time.perf_counter()
        cpu = sum(pool.map(_batches, share))
        elapsed = time.perf_counter() - start
    return len(texts) / elapsed, 1000 * cpu / len(texts)


def stage_one_at_a_time(texts: list[str], threads: int) -> tuple[float, float]:
    """Texts per second and CPU ms per text, one text per call from ``threads`` threads."""
    engine = TextEngine.from_settings(DetectionSettings())
    engine.detect(texts[0])
    cpu = time.process_time()
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(engine.detect, texts))
    elapsed = time.perf_counter() - start
    return len(texts) / elapsed, 1000 * (time.process_time() - cpu) / len(texts)


def through_api(
    texts: list[str], data_dir: Path, clients: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Through a ``modgate serve`` process: texts per second with ``wait=true`` and the server's
    CPU milliseconds per text; then, on the same server and clients, the same route's floor:
    requests per second and CPU ms per request of a text refused as empty (HTTP, the API key,
    the JSON body read and checked, the error answered; nothing detected, nothing stored)."""
    auth = {"Authorization": f"Bearer {_api_key(data_dir)}", "Content-Type": "application/json"}
    with _serve(data_dir, keys=True) as (url, pid):
        httpx.post(
            f"{url}/v1/moderations",
            json={"text": "warm up", "wait": True},
            headers=auth,
            timeout=300,
        ).raise_for_status()
        port = int(url.rsplit(":", 1)[1])
        bodies = [json.dumps({"text": text, "wait": True}).encode() for text in texts]
        moderated = _post_all(port, pid, auth, bodies, clients, 201)
        empty = json.dumps({"text": " ", "wait": True}).encode()
        floor = _post_all(port, pid, auth, [empty] * len(texts), clients, 400)
    return moderated, floor


def _post_all(
    port: int, pid: int, auth: dict[str, str], bodies: list[bytes], clients: int, status: int
) -> tuple[float, float]:
    """Requests per second and server CPU ms per request, posting ``bodies`` from ``clients``
    keep-alive connections; each answer must have ``status`` (201: a completed moderation)."""
    local = threading.local()

    def one(body: bytes) -> None:
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        local.connection.request("POST", "/v1/moderations", body=body, headers=auth)
        response = local.connection.getresponse()
        answer = response.read()
        done = status != 201 or json.loads(answer).get("status") == "completed"
        if response.status != status or not done:
            raise RuntimeError(answer.decode())

    cpu = _cpu_seconds(pid)
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, bodies))
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds(pid) - cpu
    return len(bodies) / elapsed, 1000 * cpu / len(bodies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--api-texts", type=int, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--database-url",
        default="",
        help="the server's database (e.g. a PostgreSQL URL); default: SQLite in a temporary folder",
    )
    args = parser.parse_args()
    if args.database_url:
        EXTRA_ENV["MODGATE_DATABASE_URL"] = args.database_url
    texts = comments(args.texts)
    mean = sum(map(len, texts)) / len(texts)
    print(f"cores: {os.cpu_count()}; {len(texts)} comments, mean {mean:.0f} chars")
    one, one_cpu = stage_batches(texts, 1)
    two, two_cpu = stage_batches(texts, 2)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}: other work on the machine slows every texts/s figure")
    print(
        f"1a stage, 1 process, batches of {BATCH}:  {one:8.0f} texts/s  ({one_cpu:.3f} CPU ms/text)"
    )
    print(
        f"1b stage, 2 processes, batches of {BATCH}: {two:8.0f} texts/s  ({two_cpu:.3f} CPU ms/text"
        f" → {2000 / two_cpu:.0f} texts/s on 2 idle cores; target ≥ 2000)"
    )
    threaded, stage_cpu = stage_one_at_a_time(texts, args.clients)
    print(
        f"1c stage, one at a time, {args.clients} threads:  {threaded:8.0f} texts/s  "
        f"({stage_cpu:.2f} CPU ms/text)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-text-") as folder:
        (api, server_cpu), (floor, floor_cpu) = through_api(
            comments(args.api_texts, seed=11), Path(folder), args.clients
        )
    print(
        f"2  API wait=true, {args.clients} clients:       {api:8.0f} texts/s  "
        f"({server_cpu:.2f} server CPU ms/text)"
    )
    print(f"   API / stage (same clients) = {api / threaded:.2f}  (target ≥ 0.9)")
    print(
        f"2b same route, empty text refused (400): {floor:6.0f} requests/s  "
        f"({floor_cpu:.2f} server CPU ms/request): the HTTP floor"
    )
    print(
        f"   a text through the API costs {server_cpu / stage_cpu:.0f}× its detection; the "
        f"floor alone caps API / stage at {floor / threaded:.2f}"
    )


if __name__ == "__main__":
    main()
