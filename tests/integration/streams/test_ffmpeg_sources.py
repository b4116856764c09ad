"""Live RTMP, RTSP and SRT sources end to end: a generated clip is served on 127.0.0.1 at the
pace of real time (RTMP and SRT published by ffmpeg, RTSP by the tests' small server) while an
embedded worker reads it (RTMP and RTSP through PyAV's FFmpeg, SRT through an ``ffmpeg`` relay,
each given the address the outbound guard checked); segments and events come with the marker
scene's times, a dropped connection is reconnected, a stalled one ends the stream with its
reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from live_ffmpeg import LivePublisher, write_clip
from live_hls import wait_until
from live_rtsp import LiveRtsp
from stream_servers import serving, stream_settings

LABEL = "Explicit Nudity"


def _get(base: str, stream_id: str) -> dict[str, Any]:
    return httpx.get(f"{base}/v1/streams/{stream_id}").json()


def _start(base: str, url: str) -> str:
    answer = httpx.post(f"{base}/v1/streams", json={"url": url, "fps": 2})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _over(base: str, stream_id: str, timeout: float = 60.0) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body = _get(base, stream_id)
        return body if body["status"] in ("ended", "stopped", "failed") else None

    result: dict[str, Any] = wait_until(done, timeout)
    return result


def _events(services: Any, stream_id: str) -> list[tuple[str, dict[str, Any]]]:
    from sqlalchemy import select

    from modgate.events import EventRow

    with services.sessions() as session:
        rows = session.scalars(select(EventRow).order_by(EventRow.id))
        return [(r.name, r.payload) for r in rows if r.payload.get("stream_id") == stream_id]


def _serving(clip: Path, scheme: str) -> LivePublisher | LiveRtsp:
    return LiveRtsp(clip) if scheme == "rtsp" else LivePublisher([clip], scheme)


def _marked(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in body["segments"] if s["ModerationLabel"]["Name"] == LABEL]


@pytest.mark.parametrize("scheme", ["rtmp", "rtsp", "srt"])
def test_segments_and_events_of_a_live_stream(scheme: str, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "cam.ts", seconds=6, marker=(2.0, 4.0))
    settings = stream_settings(tmp_path, stall_seconds=2.0)
    with serving(settings) as (server, services), _serving(clip, scheme) as live:
        base = server.url
        stream_id = _start(base, live.url)
        body = _over(base, stream_id)
        assert body["status"] == "ended", (body, live.log.read_text())
        if scheme != "rtmp":
            assert body["reason"] == "the source ended", body
        else:
            # ffmpeg's RTMP server closes the connection without saying the stream ended:
            # the worker tries again, finds no one, and the stream ends (it was read).
            assert "3 tries" in body["reason"], body
        assert body["samples"] >= 10
        segments = _marked(body)
        assert len(segments) == 1, body["segments"]
        assert abs(segments[0]["StartTimestampMillis"] - 2000) <= 500
        assert abs(segments[0]["EndTimestampMillis"] - 4000) <= 500
        assert segments[0]["Open"] is False
        assert body["last_sample_ms"] >= 5000  # the clip was read to its end
        events = _events(services, stream_id)
        started = [
            p
            for name, p in events
            if name == "stream.segment.started" and p["segment"]["ModerationLabel"]["Name"] == LABEL
        ]
        assert [p["segment"]["StartTimestampMillis"] for p in started] == [
            segments[0]["StartTimestampMillis"]
        ]
        assert [p["status"] for name, p in events if name == "stream.ended"] == ["ended"]


def test_a_dropped_rtmp_source_is_reconnected(tmp_path: Path) -> None:
    first = write_clip(tmp_path / "first.ts", seconds=3, marker=None)
    second = write_clip(tmp_path / "second.ts", seconds=4, marker=(1.5, 3.0))
    settings = stream_settings(tmp_path, reconnect_attempts=4, reconnect_backoff_seconds=0.2)
    with serving(settings) as (server, services), LivePublisher([first, second]) as live:
        base = server.url
        stream_id = _start(base, live.url)
        body = _over(base, stream_id)
        assert body["status"] == "ended", (body, live.log.read_text())
        segments = _marked(body)
        assert len(segments) == 1, body["segments"]
        # The second connection's clock starts again at 0: the stream's time goes on from
        # the wall clock instead, so the scene comes after the first clip's 3 s.
        assert segments[0]["StartTimestampMillis"] >= 3000 + 1500 - 500
        assert segments[0]["DurationMillis"] >= 1000
        assert body["last_sample_ms"] >= segments[0]["EndTimestampMillis"]
        held = [p for name, p in _events(services, stream_id) if name == "stream.held"]
        assert len(held) == 1  # the same worker went on after reconnecting


@pytest.mark.parametrize("scheme", ["rtmp", "rtsp", "srt"])
def test_a_stalled_source_ends_the_stream_with_its_reason(scheme: str, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "long.ts", seconds=20, marker=None)
    settings = stream_settings(tmp_path, stall_seconds=1.5, reconnect_attempts=1)
    with serving(settings) as (server, _), _serving(clip, scheme) as live:
        base = server.url
        stream_id = _start(base, live.url)
        wait_until(lambda: _get(base, stream_id)["samples"] >= 3, 30)
        live.stall()
        body = _over(base, stream_id, 30)
        assert body["status"] == "ended", body
        assert "2 tries" in body["reason"], body
        assert body["last_sample_ms"] < 10_000  # it did not wait for the clip's end


@pytest.mark.parametrize("scheme", ["rtmp", "srt"])
def test_a_stopped_stream_lets_go_of_its_source(scheme: str, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "long.ts", seconds=20, marker=None)
    with serving(stream_settings(tmp_path)) as (server, _), LivePublisher([clip], scheme) as live:
        base = server.url
        stream_id = _start(base, live.url)
        wait_until(lambda: _get(base, stream_id)["samples"] >= 2, 30)
        answer = httpx.post(f"{base}/v1/streams/{stream_id}/stop")
        assert (answer.status_code, answer.json()["status"]) == (200, "stopped")
        # The worker closed its connection (for SRT, its relay): the publisher's ends.
        assert live.ended(10), live.log.read_text()
        assert _get(base, stream_id)["samples"] == answer.json()["samples"]
