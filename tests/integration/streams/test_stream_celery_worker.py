"""A live stream in the scaled-out shape: the API (PostgreSQL, Celery executor with Redis)
holds no streams; a ``modgate worker`` process in Celery mode claims the stream from the
database and its segment events reach the tenant's webhook."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from deployments import deploy
from live_hls import LiveHls, wait_until
from pipeline_helpers import Receiver
from stream_servers import SHORT

LABEL = "Explicit Nudity"


def _of(events: list[dict[str, Any]], stream_id: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind and e["data"]["stream_id"] == stream_id]


def _held_by(services: Any, stream_id: str) -> list[str]:
    """The workers that took the stream up (its ``stream.held`` events)."""
    from sqlalchemy import select

    from modgate.events import EventRow

    with services.sessions() as session:
        rows = session.scalars(select(EventRow).where(EventRow.name == "stream.held"))
        return [r.payload["worker"] for r in rows if r.payload["stream_id"] == stream_id]


@pytest.mark.slow
@pytest.mark.postgres
def test_a_celery_mode_worker_holds_a_stream_started_through_the_api(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    deployed = contextmanager(deploy)(request, tmp_path, "celery", streams=SHORT)
    with (
        deployed as deployment,
        Receiver() as receiver,
        LiveHls(tmp_path, seconds=6, marker=(2.0, 4.0)) as live,
    ):
        base = deployment.url
        httpx.post(f"{base}/v1/webhooks", json={"url": receiver.url}).raise_for_status()
        answer = httpx.post(f"{base}/v1/streams", json={"url": live.url, "fps": 2})
        assert answer.status_code == 201, answer.text
        stream_id = answer.json()["id"]
        live.start()

        def over() -> dict[str, Any] | None:
            body: dict[str, Any] = httpx.get(f"{base}/v1/streams/{stream_id}").json()
            return body if body["status"] in ("ended", "stopped", "failed") else None

        body = wait_until(over, 90)
        assert body["status"] == "ended", (body, deployment.worker_log())
        assert deployment.services.stream_workers.held == []  # the API process holds none
        segments = [s for s in body["segments"] if s["ModerationLabel"]["Name"] == LABEL]
        assert len(segments) == 1, body["segments"]
        assert abs(segments[0]["StartTimestampMillis"] - 2000) <= 500
        events = wait_until(
            lambda: receiver.events() if _of(receiver.events(), stream_id, "stream.ended") else None
        )
        started = [
            e["data"]
            for e in _of(events, stream_id, "stream.segment.started")
            if e["data"]["segment"]["ModerationLabel"]["Name"] == LABEL
        ]
        assert [s["segment_id"] for s in started] == [segments[0]["SegmentId"]]
        (worker_process,) = deployment.workers
        held = _held_by(deployment.services, stream_id)
        assert len(held) == 1 and f":{worker_process.pid}:" in held[0], held
