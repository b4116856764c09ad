"""What the typed client costs per call over raw httpx, on the same requests to the same server.

    .venv/bin/python benchmarks/bench_client.py                  # 30 rounds of 40 calls each
    .venv/bin/python benchmarks/bench_client.py --rounds 60 --calls 100

``modgate serve`` runs in its own process (the embedded SQLite database, one image moderated and
one stored beforehand), so the figures of this process are the client's alone. Each request is
made two ways, side by side, over one keep-alive connection each:

* raw httpx: ``httpx.Client.get/post`` with the key header, the status checked, the body read
  (``response.json()`` or ``response.content``): the least a caller must do;
* the client: ``modgate.client.Client``'s method for it, which does the same and, on top, builds
  the request from its operation, checks for an error and a retry, and types the answer.

The two take turns, round by round, and each one's fastest round is kept (the machine may be
shared). Printed: µs per call, wall clock and this process's CPU time, and the client's
overhead in per cent of the raw call. Target: at most 5 % of wall time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from modgate.client import Client, Page

SCOPES = (
    "moderations:read",
    "moderations:write",
    "media:read",
    "media:write",
    "webhooks:manage",
)


def _png(seed: int) -> bytes:
    image = Image.new("RGB", (64, 64), (seed % 255, 120, 60))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _modgate(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "modgate", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return done.stdout


def _serve(folder: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")} | {
        "MODGATE_DATA_DIR": str(folder),
        "MODGATE_DETECTION__ENABLED": '["imagenet"]',  # a small model
        "MODGATE_OUTBOUND_ALLOW": "127.0.0.1/32",
        "MODGATE_LOG_LEVEL": "WARNING",
    }
    _modgate(["db", "upgrade"], env)
    scopes = [part for scope in SCOPES for part in ("--scope", scope)]
    key = json.loads(_modgate(["keys", "create", "bench", *scopes], env))["key"]
    server = subprocess.Popen(
        [sys.executable, "-m", "modgate", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return server, url, key
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit("modgate serve did not start")
        time.sleep(0.2)


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise RuntimeError(response.text)
    return response


def cases(raw: httpx.Client, client: Client, seeds: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(name, raw call, client call): the same request made both ways."""
    moderation, media, image = seeds["moderation"], seeds["media"], seeds["image"]
    return [
        (
            "GET /v1/moderations/{id}",
            lambda: _checked(raw.get(f"/v1/moderations/{moderation}")).json(),
            lambda: client.get_moderation(moderation),
        ),
        (
            "GET /v1/moderations?limit=20",
            lambda: _checked(raw.get("/v1/moderations", params={"limit": 20})).json(),
            lambda: client.list_moderations(limit=20),
        ),
        (
            "GET /v1/media/{id}",
            lambda: _checked(raw.get(f"/v1/media/{media}")).json(),
            lambda: client.get_media(media),
        ),
        (
            "GET /v1/media/{id}/preview (JPEG)",
            lambda: _checked(raw.get(f"/v1/media/{media}/preview")).content,
            lambda: client.get_media_preview(media),
        ),
        (
            "GET /v1/webhooks",
            lambda: _checked(raw.get("/v1/webhooks")).json(),
            lambda: client.list_webhooks(),
        ),
        (
            "POST /v1/media (multipart, stored)",
            lambda: _checked(raw.post("/v1/media", files={"file": ("m", image)})).json(),
            lambda: client.upload_media(image, filename="m"),
        ),
    ]


def round_of(call: Callable[[], Any], calls: int) -> tuple[float, float]:
    """µs per call over ``calls`` calls: wall clock, and this process's CPU time."""
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call()
    return (
        (time.perf_counter() - started) / calls * 1e6,
        (time.process_time() - cpu) / calls * 1e6,
    )


Table = list[tuple[str, Callable[[], Any], Callable[[], Any]]]


def compare(table: Table, rounds: int, calls: int) -> dict[str, dict[str, list[float]]]:
    """Per case: each round's wall and CPU µs per call, raw and client; the two take turns
    within every round, so a busy moment slows both."""
    figures: dict[str, dict[str, list[float]]] = {
        name: {"raw": [], "client": [], "raw_cpu": [], "client_cpu": []} for name, _r, _c in table
    }
    for name, raw_call, client_call in table:  # warm up, and check both get the same answer
        for _ in range(30):
            answer_raw, answer_client = raw_call(), client_call()
        if isinstance(answer_client, Page):
            answer_client = answer_client.raw
        if isinstance(answer_client, list):  # the client answers the items
            answer_raw = answer_raw["items"]
        assert answer_raw == answer_client, name
    for _ in range(rounds):
        for name, raw_call, client_call in table:
            for way, call in (("raw", raw_call), ("client", client_call)):
                wall, cpu = round_of(call, calls)
                figures[name][way].append(wall)
                figures[name][f"{way}_cpu"].append(cpu)
    return figures


def replayed(url: str, key: str, raw: httpx.Client, table_of: Callable[..., Table]) -> Table:
    """The same cases in this process: a transport that answers each request with what the
    server answered it, so the figures are httpx's and the client's work alone."""
    recorded: dict[tuple[str, str], httpx.Response] = {}

    def record(response: httpx.Response) -> None:
        response.read()
        recorded[(response.request.method, str(response.request.url))] = response

    with httpx.Client(base_url=url, headers=raw.headers, event_hooks={"response": [record]}) as r:
        for _name, call, _client in table_of(r, None):
            call()

    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        seen = recorded[(request.method, str(request.url))]
        return httpx.Response(seen.status_code, headers=seen.headers, content=seen.content)

    transport = httpx.MockTransport(answer)
    raw_here = httpx.Client(base_url=url, headers=raw.headers, transport=transport)
    return table_of(raw_here, Client(url, key, transport=transport))


def report(title: str, table: Table, figures: dict[str, dict[str, list[float]]]) -> None:
    print(title)
    print(
        f"{'µs per call':<36} {'raw':>9} {'client':>9} {'over':>7} {'paired':>7}   "
        f"{'raw CPU':>8} {'client':>8} {'over':>7}"
    )
    sums = [0.0, 0.0, 0.0, 0.0]
    for name, _raw, _client in table:
        f = figures[name]
        best = [min(f["raw"]), min(f["client"]), min(f["raw_cpu"]), min(f["client_cpu"])]
        sums = [a + b for a, b in zip(sums, best, strict=True)]
        paired = statistics.median(c / r - 1 for r, c in zip(f["raw"], f["client"], strict=True))
        print(
            f"{name:<36} {best[0]:9.1f} {best[1]:9.1f} {_pct(best[1], best[0]):>7} "
            f"{paired * 100:+6.1f}%   {best[2]:8.1f} {best[3]:8.1f} {_pct(best[3], best[2]):>7}"
        )
    print(
        f"{'all, summed':<36} {sums[0]:9.1f} {sums[1]:9.1f} {_pct(sums[1], sums[0]):>7} "
        f"{'':>7}   {sums[2]:8.1f} {sums[3]:8.1f} {_pct(sums[3], sums[2]):>7}"
    )
    print(f"the client's own CPU per call, on average: {(sums[3] - sums[2]) / len(table):+.1f} µs")


def measure(rounds: int, calls: int) -> None:
    with tempfile.TemporaryDirectory(prefix="modgate-bench-") as folder:
        server, url, key = _serve(Path(folder))
        try:
            headers = {"Authorization": f"Bearer {key}"}
            with (
                httpx.Client(base_url=url, headers=headers, timeout=60) as raw,
                Client(url, key) as client,
            ):
                image = _png(1)
                seeds = {
                    "moderation": client.moderate(_png(2), wait=True)["id"],
                    "media": client.upload_media(image)["id"],
                    "image": image,
                }
                client.create_webhook("http://127.0.0.1:9/hook")

                def table_of(raw_client: httpx.Client, typed: Client | None) -> Table:
                    return cases(raw_client, typed or client, seeds)

                table = table_of(raw, client)
                served = compare(table, rounds, calls)
                here = replayed(url, key, raw, table_of)
                in_process = compare(here, rounds, calls)
        finally:
            server.terminate()
            server.wait(timeout=30)
    report(
        f"Over HTTP to modgate serve (fastest of {rounds} rounds of {calls} calls):", table, served
    )
    print("paired: the median over rounds of client/raw - 1, each round's two taking turns")
    print()
    report(
        "In process, each answer replayed (the client's and httpx's own work):", here, in_process
    )
    print()
    print("target: the client's overhead ≤ 5 % of wall time per call (over HTTP)")


def _pct(value: float, base: float) -> str:
    return f"{(value - base) / base * 100:+.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=40, help="calls per round and way")
    arguments = parser.parse_args()
    measure(arguments.rounds, arguments.calls)


if __name__ == "__main__":
    main()
