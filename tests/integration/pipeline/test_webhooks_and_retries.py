"""Webhooks against a local receiver (signature, retries, delivery log) and job retries.

The receivers listen on 127.0.0.1, which the outbound guard refuses by default: these servers
allow it (``outbound_allow``), as an operator with receivers on an internal network would."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from modgate.events.webhooks import SIGNATURE_HEADER, sign, verify_signature
from modgate.events.webhooks.tables import WebhookDeliveryRow
from modgate.settings import load_settings
from pipeline_helpers import Receiver, marker_png, plain_png, wait_decided, wait_for

RECEIVERS = "127.0.0.1/32"  # MODGATE_OUTBOUND_ALLOW: where the test receivers listen


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The shared settings, with the test receivers' address allowed."""
    return load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2, "retry_backoff_seconds": 0.1},
        auth={"api_keys_required": False},
        outbound_allow=RECEIVERS,
    )


def test_signature_round_trip_and_tampering() -> None:
    body = b'{"a": 1}'
    header = sign("s3cret", 1_700_000_000, body)
    assert verify_signature("s3cret", header, body, now=1_700_000_010)
    assert not verify_signature("s3cret", header, body + b" ", now=1_700_000_010)
    assert not verify_signature("other", header, body, now=1_700_000_010)
    assert not verify_signature("s3cret", header, body, now=1_700_001_000)  # too old
    assert not verify_signature("s3cret", "garbage", body, now=1_700_000_010)


def test_completed_moderation_is_signed_and_delivered(live_server) -> None:  # type: ignore[no-untyped-def]
    with Receiver() as receiver:
        endpoint = httpx.post(f"{live_server.url}/v1/webhooks", json={"url": receiver.url}).json()
        moderation = httpx.post(
            f"{live_server.url}/v1/moderations",
            params={"wait": "true"},
            files={"file": ("x.png", marker_png(1))},
            data={"external_id": "post-9"},
            timeout=60,
        ).json()
        wait_for(lambda: receiver.requests, timeout=30)
        request = receiver.requests[0]
        headers = {key.lower(): value for key, value in request["headers"].items()}
        assert verify_signature(
            endpoint["secret"], headers[SIGNATURE_HEADER.lower()], request["body"], now=time.time()
        )
        event = json.loads(request["body"])
        assert event["type"] == "moderation.completed"
        assert event["data"]["moderation_id"] == moderation["id"]
        assert event["data"]["action"] == "block"
        assert event["data"]["external_id"] == "post-9"
        assert headers["modgate-event-id"] == str(event["id"])
        log = httpx.get(f"{live_server.url}/v1/webhooks/{endpoint['id']}/deliveries").json()
        assert log["items"][0]["status"] == "delivered"


@pytest.fixture
def fast_retry_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    flag = tmp_path / "fail"
    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"], "options": {"marker": {"fail_flag": str(flag)}}},
        auth={"api_keys_required": False},
        pipeline={
            "workers": 1,
            "poll_seconds": 0.1,
            "retry_backoff_seconds": 0.1,
            "max_attempts": 3,
            "webhook_backoff_seconds": 0.2,
        },
        outbound_allow=RECEIVERS,
    )
    return settings, flag


def test_failing_receiver_is_retried_with_backoff(live_server) -> None:  # type: ignore[no-untyped-def]
    with Receiver(fail_first=2) as receiver:
        endpoint = httpx.post(f"{live_server.url}/v1/webhooks", json={"url": receiver.url}).json()
        _moderate(live_server.url, plain_png(2))
        wait_for(lambda: len(receiver.requests) >= 3, timeout=60)
        ids = {r["headers"].get("Modgate-Event-Id") for r in receiver.requests}
        assert len(ids) == 1  # the same event, retried
        log = wait_for(
            lambda: [
                d
                for d in httpx.get(
                    f"{live_server.url}/v1/webhooks/{endpoint['id']}/deliveries"
                ).json()["items"]
                if d["status"] == "delivered"
            ],
            timeout=30,
        )
        assert log[0]["attempts"] == 3
        assert log[0]["last_status"] == 204


def test_bad_webhook_registration(live_server) -> None:  # type: ignore[no-untyped-def]
    # Each of these used to be accepted (and then stopped or broke delivery) or answer a 500.
    for url in (
        "ftp://x",
        "http://example.com/x\n",
        "http://127.0.0.1:abc/x",
        "http://\u0000host/x",
        "http://[::1/x",
        "http://exa mple.com/x",
        "http://example.com:99999/x",
        "http://example.com:0/x",
        "http://user:secret@example.com/x",
    ):
        bad_url = httpx.post(f"{live_server.url}/v1/webhooks", json={"url": url})
        assert bad_url.status_code == 400, url
        assert bad_url.json()["error"]["code"] == "InvalidParameterException"
    no_events = httpx.post(
        f"{live_server.url}/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": []}
    )
    assert no_events.status_code == 400  # not silently "every event"
    assert httpx.get(f"{live_server.url}/v1/webhooks").json()["items"] == []
    bad_event = httpx.post(
        f"{live_server.url}/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["nope"]}
    )
    assert bad_event.status_code == 400
    assert httpx.get(f"{live_server.url}/v1/webhooks/whk_none/deliveries").status_code == 404


def test_transient_failures_retry_then_route_to_review(fast_retry_settings) -> None:  # type: ignore[no-untyped-def]
    from modgate.app import create_app
    from modgate.services import Services
    from servers import LiveServer

    settings, flag = fast_retry_settings
    flag.write_text("fail")
    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as server:
            moderation = httpx.post(
                f"{server.url}/v1/moderations", files={"file": ("x.png", marker_png(5))}
            ).json()
            failed = wait_decided(server.url, moderation["id"])
            assert failed["status"] == "failed"
            assert failed["action"] == "review"  # never silently allowed
            assert failed["final_action"] is None
            assert failed["rule"] == "modgate.processing-failed"
            assert "injected failure" in failed["error"]["message"]
            pipeline = services.pipeline
            job = pipeline.jobs.recent("failed")[0]
            assert job.attempts == 3 and "injected failure" in job.last_error
            assert failed["review"]["status"] == "queued"  # in the failures queue
            # The cause is fixed: retrying the job decides the item, and the review its
            # failure opened is withdrawn (no reviewer is asked about a decided item).
            flag.unlink()
            pipeline.processor.retry(job.id, "cli:ops@host")
            done = wait_decided(server.url, moderation["id"])
            wait_for(lambda: pipeline.moderations.get(moderation["id"])["status"] == "completed")
            decided = pipeline.moderations.get(moderation["id"])
            assert decided["action"] == "block" and decided["error"] is None
            assert decided["review"]["status"] == "withdrawn"
            assert [task["status"] for task in decided["review"]["tasks"]] == ["cancelled"]
            assert done["id"] == moderation["id"]
    finally:
        services.close()


def _moderate(base_url: str, image: bytes) -> None:
    """Moderate ``image`` and wait for the decision (its events are then committed)."""
    httpx.post(
        f"{base_url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.png", image)},
        timeout=60,
    ).raise_for_status()


def _fast_webhook_server(  # type: ignore[no-untyped-def]
    tmp_path: Path, backoff: float, timeout: float = 10.0
):
    from modgate.app import create_app
    from modgate.services import Services
    from servers import LiveServer

    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        auth={"api_keys_required": False},
        pipeline={
            "poll_seconds": 0.1,
            "webhook_backoff_seconds": backoff,
            "webhook_timeout_seconds": timeout,
        },
        outbound_allow=RECEIVERS,
    )
    services = Services.build(settings)
    return services, LiveServer(create_app(settings, services))


def test_a_failing_receiver_does_not_hold_up_the_others(tmp_path: Path) -> None:
    """While one endpoint fails, its other deliveries wait for its retry instead of each costing
    a try (a receiver that hangs would cost a timeout each), and a healthy endpoint gets every
    event at once."""
    services, live = _fast_webhook_server(tmp_path, backoff=30.0)
    try:
        with live as server, Receiver(fail_first=10**6) as broken, Receiver() as healthy:
            failing = httpx.post(f"{server.url}/v1/webhooks", json={"url": broken.url}).json()
            httpx.post(f"{server.url}/v1/webhooks", json={"url": healthy.url})
            for seed in range(5):
                _moderate(server.url, plain_png(40 + seed))
            wait_for(lambda: len(healthy.requests) >= 5, timeout=30)
            time.sleep(1.0)  # several dispatch rounds
            assert len(broken.requests) == 1  # one try; the other four wait for its retry
            log = httpx.get(f"{server.url}/v1/webhooks/{failing['id']}/deliveries").json()
            assert sorted(d["attempts"] for d in log["items"]) == [0, 0, 0, 0, 1]
            assert all(d["status"] == "pending" for d in log["items"])
            # The log pages with a cursor, newest first, every delivery once.
            url = f"{server.url}/v1/webhooks/{failing['id']}/deliveries"
            seen, cursor = [], None
            while True:
                page = httpx.get(url, params={"limit": 2} | ({"cursor": cursor} if cursor else {}))
                assert len(page.json()["items"]) <= 2
                seen += [d["id"] for d in page.json()["items"]]
                cursor = page.json()["next_cursor"]
                if cursor is None:
                    break
            assert seen == [d["id"] for d in log["items"]] and len(set(seen)) == 5
            assert httpx.get(url, params={"limit": "abc"}).status_code == 400
    finally:
        services.close()


def test_a_hanging_receiver_delays_no_other_endpoint(tmp_path: Path) -> None:
    """Deliveries go out side by side: while one receiver holds its request open (for up to
    the 60 s timeout), another endpoint still gets every event, and the held delivery completes
    once its receiver answers."""
    services, live = _fast_webhook_server(tmp_path, backoff=30.0, timeout=60.0)
    release = threading.Event()
    try:
        with live as server, Receiver(hold=release) as hanging, Receiver() as healthy:
            held = httpx.post(f"{server.url}/v1/webhooks", json={"url": hanging.url}).json()
            httpx.post(f"{server.url}/v1/webhooks", json={"url": healthy.url})
            for seed in range(5):
                _moderate(server.url, plain_png(60 + seed))
            wait_for(lambda: len(healthy.requests) >= 5, timeout=30)
            assert len(hanging.requests) == 1  # still unanswered
            release.set()
            log_url = f"{server.url}/v1/webhooks/{held['id']}/deliveries"

            def all_delivered() -> bool:
                items = httpx.get(log_url).json()["items"]
                return len(items) == 5 and all(d["status"] == "delivered" for d in items)

            wait_for(all_delivered, timeout=30)
            assert len(hanging.requests) == 5 and len(healthy.requests) == 5
    finally:
        release.set()
        services.close()


def test_deleting_an_endpoint_stops_its_deliveries(tmp_path: Path) -> None:
    services, live = _fast_webhook_server(tmp_path, backoff=0.3)
    try:
        with live as server, Receiver(fail_first=10**6) as broken:
            endpoint = httpx.post(f"{server.url}/v1/webhooks", json={"url": broken.url}).json()
            _moderate(server.url, plain_png(50))
            wait_for(lambda: len(broken.requests) >= 1, timeout=30)
            assert httpx.delete(f"{server.url}/v1/webhooks/{endpoint['id']}").status_code == 204
            seen = len(broken.requests)
            time.sleep(2.0)  # past several retry times
            assert len(broken.requests) <= seen + 1  # at most one try already under way
            with services.sessions() as session:
                rows = session.scalars(select(WebhookDeliveryRow)).all()
            assert [row.status for row in rows] == ["failed"]
            assert rows[0].last_error == "endpoint_deleted"
    finally:
        services.close()
