"""Decisions for viewers over HTTP: ``POST /v1/decisions`` with 100 items per request (a feed
page) and single-item ``GET /v1/moderations/{id}/decision``, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/bench_decisions.py                      # both databases
    .venv/bin/python benchmarks/bench_decisions.py --items 20000 --backends sqlite

Each backend gets a fresh database holding ``--items`` decided image moderations of one tenant
on the kids surface (``policies/kids.yaml`` active): 0–4 labels each at random confidences, one
in ten with detected text, one in ten with a reviewer's verdict, written through the real
stores. A ``modgate serve`` process (its own process, as deployed; embedded executor, the marker
test detector so no model is loaded) answers one client on a keep-alive connection, with an API
key as the default settings require. Each request names random items and one of a few viewer
contexts (ages, local times, a time zone). Printed: p50/p99 latency and items/s for pages of
100 (target p99 ≤ 25 ms), first over every item once (pages of items never asked for before,
so no parsed detections are kept yet), then random pages (a feed's steady state); the server's
CPU time per random page (the figure that holds on a shared machine); p50/p99 for single items
(target p99 ≤ 5 ms); and, for comparison, random pages decided in the benchmark's own process
without HTTP. Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from databases import fresh_postgres_database  # noqa: E402
from modgate.db.base import transaction  # noqa: E402
from modgate.policy import load_policy  # noqa: E402
from modgate.services import Services  # noqa: E402
from modgate.settings import load_settings  # noqa: E402
from servers import free_port  # noqa: E402
from viewer_helpers import seed_in  # noqa: E402

POSTGRES_ADMIN = os.environ.get(
    "MODGATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TENANT = "bench"
LABELS = (
    "Female Swimwear or Underwear",
    "Kissing on the Lips",
    "Physical Violence",
    "Weapons",
    "Alcoholic Beverages",
    "Gambling",
    "Middle Finger",
    "Exposed Female Nipple",
    "Smoking",
    "Blood & Gore",
)
TEXTS = ("add me on snapchat", "great day at the beach", "call +44 7700 900123")
CONTEXTS = (
    {"audience": "18+", "local_time": "12:00"},
    {"audience": "12", "local_time": "21:30"},
    {"audience": "13-17", "local_time": "2026-11-25T22:15:00-07:00", "region": "US-UT"},
    {"audience": "8-10", "timezone": "Europe/Berlin"},
)
PAGE = 100
WARMUP = 30


def populate(services: Services, count: int, rng: random.Random) -> list[str]:
    kids = load_policy(ROOT / "policies" / "kids.yaml")
    services.policies.save(kids, author="cli:tests@localhost")
    services.policies.activate(kids.version, "kids", actor="cli:tests@localhost")
    ids = []
    for start in range(0, count, 500):
        with transaction(services.sessions) as session:
            for _ in range(min(500, count - start)):
                labels = {
                    name: round(rng.uniform(1, 99), 1)
                    for name in rng.sample(LABELS, rng.randint(0, 4))
                }
                ids.append(
                    seed_in(
                        session,
                        kids,
                        labels,
                        tenant=TENANT,
                        text=rng.choice(TEXTS) if rng.random() < 0.1 else None,
                        verdict=rng.choice(("allow", "block")) if rng.random() < 0.1 else None,
                    )
                )
    return ids


@contextlib.contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[int, int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "modgate", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"modgate serve did not start: {process.stderr}") from None
                time.sleep(0.3)
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


class Client:
    """One keep-alive connection; each call's wall time in seconds."""

    def __init__(self, port: int, key: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[float, Any]:
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return elapsed, json.loads(data)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(
    port: int, pid: int, key: str, ids: list[str], rounds: int, rng: random.Random
) -> dict[str, Any]:
    client = Client(port, key)

    def page(index: int, named: list[str]) -> float:
        body = json.dumps(
            {
                "context": CONTEXTS[index % len(CONTEXTS)],
                "items": [{"moderation_id": i} for i in named],
            }
        ).encode()
        elapsed, answer = client.call("POST", "/v1/decisions", body)
        assert len(answer["decisions"]) == PAGE
        return elapsed

    # Every item once, each page's items never asked for before: no parsed detections kept.
    shuffled = rng.sample(ids, len(ids))
    cold = [page(n, shuffled[at : at + PAGE]) for n, at in enumerate(range(0, len(ids), PAGE))]
    cold = [elapsed for elapsed in cold[WARMUP // 3 :]]
    pages = []
    cpu = cpu_seconds(pid)
    for index in range(rounds):
        pages.append(page(index, rng.sample(ids, PAGE)))
    cpu = cpu_seconds(pid) - cpu
    singles = []
    for index in range(WARMUP + rounds * 3):
        query = urlencode(CONTEXTS[index % len(CONTEXTS)])
        elapsed, answer = client.call("GET", f"/v1/moderations/{rng.choice(ids)}/decision?{query}")
        assert answer["status"] == "decided", answer
        if index >= WARMUP:
            singles.append(elapsed)
    return {"cold": cold, "pages": pages, "singles": singles, "cpu_per_page": cpu / rounds}


def in_process(services: Services, ids: list[str], rounds: int, rng: random.Random) -> list[float]:
    viewer = services.viewer
    times = []
    for index in range(WARMUP + rounds):
        page = rng.sample(ids, PAGE)
        started = time.perf_counter()
        viewer.decide_many(page, CONTEXTS[index % len(CONTEXTS)], TENANT)
        if index >= WARMUP:
            times.append(time.perf_counter() - started)
    return times


def run_backend(backend: str, count: int, rounds: int, folder: Path) -> None:
    rng = random.Random(20261125)
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{folder / backend / 'modgate.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database(POSTGRES_ADMIN))
        overrides = {
            "data_dir": folder / backend,
            "database_url": url,
            "detection": {"enabled": ["marker"]},
        }
        services = Services.build(load_settings(**overrides), role="cli")
        stack.callback(services.close)
        started = time.perf_counter()
        ids = populate(services, count, rng)
        print(f"  {count} items stored in {time.perf_counter() - started:.1f} s")
        key = services.auth.create_key(
            "feed", ["moderations:read"], TENANT, actor="cli:tests@localhost"
        )[0]
        local = in_process(services, ids, rounds, rng)  # this process's own parsed detections
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")} | {
            "MODGATE_DATA_DIR": str(folder / backend),
            "MODGATE_DATABASE_URL": url,
            "MODGATE_DETECTION__ENABLED": '["marker"]',
            "MODGATE_LOG_LEVEL": "WARNING",
        }
        with serving(env) as (port, pid):
            figures = measure(port, pid, key, ids, rounds, rng)
    pages, singles, cold = figures["pages"], figures["singles"], figures["cold"]
    ms = 1000.0
    print(
        f"  POST /v1/decisions, {PAGE} items never asked for before: "
        f"p50 {statistics.median(cold) * ms:.1f} ms, p99 {percentile(cold, 0.99) * ms:.1f} ms, "
        f"{PAGE * len(cold) / sum(cold):,.0f} items/s"
    )
    print(
        f"  POST /v1/decisions, {PAGE} random items: p50 {statistics.median(pages) * ms:.1f} ms, "
        f"p99 {percentile(pages, 0.99) * ms:.1f} ms (target ≤ 25), "
        f"{PAGE * len(pages) / sum(pages):,.0f} items/s on one connection"
    )
    print(
        f"  server CPU time per page: {figures['cpu_per_page'] * ms:.1f} ms "
        "(what the wall times cost when the machine is not shared)"
    )
    print(
        f"  GET …/decision: p50 {statistics.median(singles) * ms:.2f} ms, "
        f"p99 {percentile(singles, 0.99) * ms:.2f} ms (target ≤ 5)"
    )
    print(
        f"  the same pages in process, no HTTP: p50 {statistics.median(local) * ms:.1f} ms, "
        f"p99 {percentile(local, 0.99) * ms:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000, help="moderations stored")
    parser.add_argument("--rounds", type=int, default=300, help="pages timed (3× as many GETs)")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench-decisions-") as folder:
        for backend in args.backends:
            print(f"{backend}:")
            run_backend(backend, args.items, args.rounds, Path(folder))


if __name__ == "__main__":
    main()
