"""A worker killed mid-stream: another worker process takes the stream over once its lease
runs out, resumes at the live edge (the time between is a gap), and no event is sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from live_hls import LiveHls, wait_until
from modgate.events import EventRow
from stream_servers import serving, stream_settings

LABEL = "Explicit Nudity"
ENV = {
    "MODGATE_DETECTION__ENABLED": '["marker"]',
    "MODGATE_AUTH__API_KEYS_REQUIRED": "false",
    "MODGATE_OUTBOUND_ALLOW": "127.0.0.1",
    "MODGATE_PIPELINE__WORKERS": "1",
    "MODGATE_PIPELINE__POLL_SECONDS": "0.2",
    "MODGATE_STREAMS__WORKERS": "1",
    "MODGATE_STREAMS__LEASE_SECONDS": "3",
    "MODGATE_STREAMS__POLL_SECONDS": "0.2",
    "MODGATE_STREAMS__MAX_LAG_SECONDS": "2",
}


def _worker(data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")}
    env |= ENV | {"MODGATE_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "modgate", "worker"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _events(services: Any, stream_id: str) -> list[tuple[str, dict[str, Any]]]:
    with services.sessions() as session:
        rows = session.scalars(select(EventRow).order_by(EventRow.id))
        return [(r.name, r.payload) for r in rows if r.payload.get("stream_id") == stream_id]


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_no_event_is_sent_twice(tmp_path: Path) -> None:
    settings = stream_settings(tmp_path, workers=0)  # the API process holds no stream
    workers: list[subprocess.Popen[bytes]] = []
    with (
        serving(settings) as (server, services),
        LiveHls(tmp_path, seconds=18, marker=(4.0, 9.0)) as live,
    ):
        base = server.url
        try:
            workers.append(_worker(settings.data_dir, tmp_path / "first.log"))
            answer = httpx.post(f"{base}/v1/streams", json={"url": live.url, "fps": 2})
            stream_id = answer.json()["id"]
            held = lambda: any(n == "stream.held" for n, _ in _events(services, stream_id))  # noqa: E731
            wait_until(held, 60)  # the worker process is up and reads the (empty) playlist
            live.start()

            def label_open() -> bool:
                body = httpx.get(f"{base}/v1/streams/{stream_id}").json()
                return any(s["ModerationLabel"]["Name"] == LABEL for s in body["segments"])

            wait_until(label_open, 40)
            os.killpg(workers[0].pid, signal.SIGKILL)
            workers[0].wait(timeout=10)
            workers.append(_worker(settings.data_dir, tmp_path / "second.log"))

            def over() -> dict[str, Any] | None:
                body: dict[str, Any] = httpx.get(f"{base}/v1/streams/{stream_id}").json()
                return body if body["status"] not in ("starting", "live") else None

            body = wait_until(over, 60)
        finally:
            for process in workers:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=30)
        assert body["status"] == "ended" and "ENDLIST" in body["reason"], body
        assert body["gaps"] and body["skipped_ms"] > 0  # the takeover resumed at the live edge
        events = _events(services, stream_id)
        held = [p["worker"] for name, p in events if name == "stream.held"]
        assert len(held) == 2 and held[0] != held[1]
        started = [p for name, p in events if name == "stream.segment.started"]
        ended = [p for name, p in events if name == "stream.segment.ended"]
        assert len({p["segment_id"] for p in started}) == len(started)
        assert len({p["segment_id"] for p in ended}) == len(ended)
        assert {p["segment_id"] for p in ended} == {p["segment_id"] for p in started}
        marker = [p for p in started if p["segment"]["ModerationLabel"]["Name"] == LABEL]
        assert len(marker) >= 1
        assert abs(marker[0]["segment"]["StartTimestampMillis"] - 4000) <= 500
        assert [name for name, _ in events].count("stream.ended") == 1
