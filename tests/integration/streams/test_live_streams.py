"""Live HLS streams end to end: a stream made in the test grows on a local server while an
embedded worker samples it; segments and webhook events come with the marker scene's times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from live_hls import LiveHls, wait_until
from pipeline_helpers import Receiver, wait_decided
from stream_servers import serving, stream_settings

LABEL = "Explicit Nudity"


def _stream(base: str, stream_id: str) -> dict[str, Any]:
    return httpx.get(f"{base}/v1/streams/{stream_id}").json()


def _finished(base: str, stream_id: str, timeout: float = 60.0) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body = _stream(base, stream_id)
        return body if body["status"] in ("ended", "stopped", "failed") else None

    result: dict[str, Any] = wait_until(done, timeout)
    return result


def _review_moment(services: Any, stream_id: str) -> str | None:
    from sqlalchemy import select

    from modgate.events import EventRow

    with services.sessions() as session:
        rows = session.scalars(select(EventRow).where(EventRow.name == "stream.action"))
        found = [r.moderation_id for r in rows if r.payload["stream_id"] == stream_id]
    return found[0] if found else None


def _of(events: list[dict[str, Any]], stream_id: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind and e["data"]["stream_id"] == stream_id]


def test_segments_and_events_of_a_growing_hls_stream(live_server: Any, tmp_path: Path) -> None:
    base = live_server.url
    with Receiver() as receiver, LiveHls(tmp_path, seconds=8, marker=(3.0, 5.0)) as live:
        httpx.post(f"{base}/v1/webhooks", json={"url": receiver.url}).raise_for_status()
        answer = httpx.post(
            f"{base}/v1/streams", json={"url": live.url, "fps": 2, "external_id": "cam-1"}
        )
        assert answer.status_code == 201, answer.text
        stream_id = answer.json()["id"]
        assert answer.json()["status"] == "starting"
        live.start()
        wait_until(lambda: _stream(base, stream_id)["status"] == "live", 20)
        body = _finished(base, stream_id)
        assert body["status"] == "ended", body
        assert "ENDLIST" in body["reason"]
        assert body["samples"] >= 12
        segments = [s for s in body["segments"] if s["ModerationLabel"]["Name"] == LABEL]
        assert len(segments) == 1, body["segments"]
        segment = segments[0]
        assert abs(segment["StartTimestampMillis"] - 3000) <= 500
        assert abs(segment["EndTimestampMillis"] - 5000) <= 500
        assert segment["DurationMillis"] == (
            segment["EndTimestampMillis"] - segment["StartTimestampMillis"]
        )
        assert segment["Open"] is False
        events = wait_until(
            lambda: receiver.events() if _of(receiver.events(), stream_id, "stream.ended") else None
        )
        started = [
            e
            for e in _of(events, stream_id, "stream.segment.started")
            if e["data"]["segment"]["ModerationLabel"]["Name"] == LABEL
        ]
        assert len(started) == 1
        assert abs(started[0]["data"]["segment"]["StartTimestampMillis"] - 3000) <= 500
        assert started[0]["data"]["external_id"] == "cam-1"
        assert started[0]["data"]["thumbnail"]
        thumbnail = f"{base}/v1/streams/{stream_id}/segments/{segment['SegmentId']}/thumbnail"
        blurred = httpx.get(thumbnail)
        assert blurred.status_code == 200 and blurred.content[:2] == b"\xff\xd8"
        clear = httpx.get(thumbnail, params={"blurred": "false"})
        assert clear.status_code == 200 and clear.content != blurred.content
        assert (
            httpx.get(f"{base}/v1/streams/{stream_id}/segments/seg_x/thumbnail").status_code == 404
        )
        audit = httpx.get(f"{base}/v1/audit", params={"kind": "stream.thumbnail_read"}).json()
        assert len(audit["items"]) == 1
        metrics = httpx.get(f"{base}/metrics").text
        assert "modgate_stream_samples_total" in metrics
        assert 'modgate_stream_events_total{event="stream.segment.started"}' in metrics
        ended = _of(events, stream_id, "stream.segment.ended")
        assert {e["data"]["segment_id"] for e in ended} >= {started[0]["data"]["segment_id"]}
        assert _of(events, stream_id, "stream.ended")[0]["data"]["status"] == "ended"
        # The seed policy blocks explicit nudity: said once while it was on screen.
        actions = _of(events, stream_id, "stream.action")
        assert [(a["data"]["action"], a["data"]["moderation_id"]) for a in actions] == [
            ("block", None)
        ]
        assert abs(actions[0]["data"]["at_ms"] - 3000) <= 500


def test_a_moment_the_policy_sends_to_review_reaches_the_review_lane(tmp_path: Path) -> None:
    # The seed policy sends violence to review.
    settings = stream_settings(tmp_path, detection_options={"marker": {"label": "Violence"}})
    with (
        serving(settings) as (server, services),
        LiveHls(tmp_path, seconds=6, marker=(2.0, 4.0)) as live,
    ):
        base = server.url
        answer = httpx.post(
            f"{base}/v1/streams",
            json={"url": live.url, "fps": 2, "external_id": "cam-2", "context": {"region": "DE"}},
        )
        stream_id = answer.json()["id"]
        live.start()
        body = wait_until(lambda: (b := _stream(base, stream_id))["status"] == "ended" and b, 60)
        assert body["last_action"] is None  # nothing on screen at the end
        moderation_id = wait_until(lambda: _review_moment(services, stream_id), 30)
        moderation = wait_decided(base, moderation_id)
        assert moderation["action"] == "review"
        assert moderation["metadata"]["stream_id"] == stream_id
        assert abs(moderation["metadata"]["stream_ms"] - 2000) <= 500
        assert moderation["external_id"] == "cam-2"
        assert moderation["context"]["region"] == "DE"
        assert moderation["review"]["status"] in ("pending", "open", "queued")


@pytest.mark.postgres
def test_a_stream_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    settings = stream_settings(tmp_path, database_url=postgres_url)
    with serving(settings) as (server, _), LiveHls(tmp_path, seconds=5, marker=(2.0, 3.5)) as live:
        base = server.url
        answer = httpx.post(f"{base}/v1/streams", json={"url": live.url, "fps": 2})
        stream_id = answer.json()["id"]
        live.start()
        body = wait_until(lambda: (b := _stream(base, stream_id))["status"] == "ended" and b, 60)
        segments = [s for s in body["segments"] if s["ModerationLabel"]["Name"] == LABEL]
        assert len(segments) == 1 and not segments[0]["Open"]
        assert abs(segments[0]["StartTimestampMillis"] - 2000) <= 500
        listed = httpx.get(f"{base}/v1/streams", params={"status": "ended"}).json()
        assert [item["id"] for item in listed["items"]] == [stream_id]


def test_a_stream_started_to_end_on_block_is_terminated(live_server: Any, tmp_path: Path) -> None:
    base = live_server.url
    with LiveHls(tmp_path, seconds=10, marker=(2.0, 4.0)) as live:
        answer = httpx.post(
            f"{base}/v1/streams", json={"url": live.url, "fps": 2, "terminate_on": ["block"]}
        )
        assert answer.json()["terminate_on"] == ["block"]
        stream_id = answer.json()["id"]
        live.start()
        body = wait_until(lambda: (b := _stream(base, stream_id))["status"] == "ended" and b, 60)
        assert body["reason"].startswith("terminated: the policy asked for block"), body
        assert body["last_sample_ms"] < 5000  # it did not run to the end of the source
        assert all(not segment["Open"] for segment in body["segments"])
        bad = httpx.post(f"{base}/v1/streams", json={"url": live.url, "terminate_on": ["allow"]})
        assert bad.status_code == 400
