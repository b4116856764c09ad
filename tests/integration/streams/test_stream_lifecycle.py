"""A live stream's life as a client sees it: stopped on request, a source that drops and comes
back, one that stalls, one that is no media or cannot be reached, the allow-list, the tenant's
limit and another tenant's streams."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_hls import LiveHls, wait_until
from modgate.errors import ResourceNotFoundException
from servers import free_port
from stream_servers import serving, stream_settings

LABEL = "Explicit Nudity"


def _get(base: str, stream_id: str) -> dict[str, Any]:
    return httpx.get(f"{base}/v1/streams/{stream_id}").json()


def _start(base: str, url: str, **body: Any) -> str:
    answer = httpx.post(f"{base}/v1/streams", json={"url": url, "fps": 2, **body})
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


def test_a_stopped_stream_stops(tmp_path: Path) -> None:
    with (
        serving(stream_settings(tmp_path)) as (server, services),
        LiveHls(tmp_path, seconds=30, marker=None) as live,
    ):
        base = server.url
        live.start()
        stream_id = _start(base, live.url)
        wait_until(lambda: _get(base, stream_id)["samples"] >= 2, 30)
        answer = httpx.post(f"{base}/v1/streams/{stream_id}/stop")
        assert answer.status_code == 200, answer.text
        assert (answer.json()["status"], answer.json()["reason"]) == (
            "stopped",
            "stopped by a client",
        )
        samples = answer.json()["samples"]
        time.sleep(1.5)
        assert _get(base, stream_id)["samples"] == samples  # the worker let go
        again = httpx.post(f"{base}/v1/streams/{stream_id}/stop")
        assert again.status_code == 409
        ended = [p for name, p in _events(services, stream_id) if name == "stream.ended"]
        assert [p["status"] for p in ended] == ["stopped"]
        listed = httpx.get(f"{base}/v1/streams", params={"status": "stopped"}).json()
        assert [item["id"] for item in listed["items"]] == [stream_id]


def test_a_source_that_drops_is_reconnected(tmp_path: Path) -> None:
    settings = stream_settings(tmp_path, reconnect_attempts=6, reconnect_backoff_seconds=0.2)
    with (
        serving(settings) as (server, services),
        LiveHls(tmp_path, seconds=10, marker=(7.0, 8.5)) as live,
    ):
        base = server.url
        stream_id = _start(base, live.url)
        live.start()
        wait_until(lambda: _get(base, stream_id)["samples"] >= 3, 30)
        live.outage(1.5)
        body = _over(base, stream_id)
        assert body["status"] == "ended" and "ENDLIST" in body["reason"], body
        segments = [s for s in body["segments"] if s["ModerationLabel"]["Name"] == LABEL]
        assert len(segments) == 1
        assert abs(segments[0]["StartTimestampMillis"] - 7000) <= 500
        held = [p for name, p in _events(services, stream_id) if name == "stream.held"]
        assert len(held) == 1  # the same worker went on after reconnecting


def test_a_source_that_stalls_ends_the_stream_with_its_reason(tmp_path: Path) -> None:
    settings = stream_settings(tmp_path, stall_seconds=1.5, reconnect_attempts=1)
    with (
        serving(settings) as (server, _),
        LiveHls(tmp_path, seconds=20, stall_after=3, end=False, marker=None) as live,
    ):
        base = server.url
        stream_id = _start(base, live.url)
        live.start()
        body = _over(base, stream_id, 40)
        assert body["status"] == "ended"
        assert "stalled" in body["reason"] and "2 tries" in body["reason"]
        assert body["samples"] > 0


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = b"<html><body>not a stream</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


def test_no_media_or_no_server_fails_the_stream_with_its_reason(live_server: Any) -> None:
    base = live_server.url
    page = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    with page:
        import threading

        threading.Thread(target=page.serve_forever, daemon=True).start()
        html = _start(base, f"http://127.0.0.1:{page.server_address[1]}/index.html")
        closed = _start(base, f"http://127.0.0.1:{free_port()}/live.m3u8")
        body = _over(base, html, 30)
        assert body["status"] == "failed"
        assert "not an HLS playlist" in body["reason"]
        body = _over(base, closed, 30)
        assert body["status"] == "failed"
        assert "connect_refused" in body["reason"]
        page.shutdown()


def test_sources_outside_the_allow_list_are_refused(tmp_path: Path) -> None:
    with serving(stream_settings(tmp_path, allow="")) as (server, _):
        base = server.url
        cases = {
            "http://127.0.0.1:9/live.m3u8": "OutboundAddressRefusedException",
            "rtsp://10.1.2.3/cam": "OutboundAddressRefusedException",
            "srt://[::1]:9000": "OutboundAddressRefusedException",
            "rtmp://localhost/live/key": "OutboundAddressRefusedException",
            "ftp://example.com/live.ts": "UnsupportedStreamSourceException",
            "rtsp://user:pw@camera.invalid/cam": "InvalidParameterException",
        }
        for url, code in cases.items():
            answer = httpx.post(f"{base}/v1/streams", json={"url": url})
            assert (answer.status_code, answer.json()["error"]["code"]) == (400, code), url
        answer = httpx.post(f"{base}/v1/streams", json={"url": "https://x.example/a", "fps": 99})
        assert answer.status_code == 400
        assert httpx.get(f"{base}/v1/streams").json()["items"] == []


def test_a_tenant_at_its_limit_is_refused_and_sees_only_its_streams(tmp_path: Path) -> None:
    settings = stream_settings(tmp_path, per_tenant=1, workers=0)
    with serving(settings) as (server, services):
        base = server.url
        url = f"http://127.0.0.1:{free_port()}/live.m3u8"
        first = _start(base, url)
        answer = httpx.post(f"{base}/v1/streams", json={"url": url})
        assert answer.status_code == 429
        assert answer.json()["error"]["code"] == "StreamLimitExceededException"
        other = services.streams.create(url, tenant="acme", actor="cli:tests@localhost")
        with pytest.raises(ResourceNotFoundException):
            services.streams.get(first, "acme")
        assert httpx.get(f"{base}/v1/streams/{other['id']}").status_code == 404
        assert httpx.post(f"{base}/v1/streams/{other['id']}/stop").status_code == 404
        theirs = httpx.get(f"{base}/v1/streams/{other['id']}/segments/sgm_1/thumbnail")
        missing = httpx.get(f"{base}/v1/streams/str_missing/segments/sgm_1/thumbnail")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json()["error"]["code"] == missing.json()["error"]["code"]
        listed = httpx.get(f"{base}/v1/streams").json()["items"]
        assert [item["id"] for item in listed] == [first]
        httpx.post(f"{base}/v1/streams/{first}/stop").raise_for_status()
        assert httpx.post(f"{base}/v1/streams", json={"url": url}).status_code == 201


def test_a_stream_ends_at_the_longest_duration(tmp_path: Path) -> None:
    # The duration is counted on the wall clock too: a margin for a loaded machine, where the
    # scene's first sample may be read a while after it was published.
    settings = stream_settings(tmp_path, max_duration_seconds=4)
    with (
        serving(settings) as (server, services),
        LiveHls(tmp_path, seconds=12, marker=(1.0, 8.0)) as live,
    ):
        base = server.url
        stream_id = _start(base, live.url)
        live.start()
        body = _over(base, stream_id, 30)
        assert (body["status"], body["reason"]) == (
            "ended",
            "the longest stream duration was reached",
        )
        assert body["last_sample_ms"] <= 4500
        segment = body["segments"][0]
        assert segment["Open"] is False  # closed with the stream
        names = [name for name, _ in _events(services, stream_id)]
        assert names.count("stream.segment.ended") == names.count("stream.segment.started")
        assert names[-1] == "stream.ended"


def test_a_worker_holds_no_more_streams_than_it_may(tmp_path: Path) -> None:
    settings = stream_settings(tmp_path, workers=1)
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    with (
        serving(settings) as (server, _),
        LiveHls(first_dir, seconds=4, marker=None) as first,
        LiveHls(second_dir, seconds=4, marker=None) as second,
    ):
        base = server.url
        one = _start(base, first.url)
        first.start()
        wait_until(lambda: _get(base, one)["status"] == "live", 30)
        two = _start(base, second.url)
        second.start()
        time.sleep(1.5)
        assert _get(base, two)["status"] == "starting"  # waits for the worker's one slot
        assert _over(base, one)["status"] == "ended"
        assert _over(base, two)["status"] == "ended"  # then taken up, from its live edge
        assert _get(base, two)["samples"] > 0
