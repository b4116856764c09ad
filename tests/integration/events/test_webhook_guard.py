"""Webhooks through the outbound guard, over the real HTTP API: an internal URL is refused when it
is registered in every way it can be written; at delivery the host is checked again (a name that
now answers 127.0.0.1 gets nothing sent), and the delivery log shows a status code and an error
class, never what the receiver answered. Names resolve through a fake resolver: no network."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from modgate.app import create_app
from modgate.events.webhooks import Endpoint, WebhookDispatcher, WebhookService
from modgate.events.webhooks.models import public_error
from modgate.events.webhooks.tables import WebhookDeliveryRow
from modgate.outbound import OutboundGuard, OutboundPolicy
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import plain_png, wait_for
from servers import LiveServer

PUBLIC = "93.184.216.34"
SECRET_BODY = "db password: hunter2-internal"


class Names:
    """A resolver with fixed answers that a test may change; unknown names do not resolve."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    def __call__(self, host: str, port: int) -> Sequence[tuple[Any, Any, Any, Any, Any]]:
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in self.answers[host]
        ]


class Receiver:
    """An HTTP server on 127.0.0.1: ``/hook`` answers ``status`` with ``body``, ``/redirect``
    answers 302 to ``/target``, anything else 204. Records every request's path."""

    def __init__(self, status: int = 204, body: str = "") -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.paths.append(self.path)
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{outer.port}/target")
                    self.end_headers()
                    return
                answer = body.encode() if self.path == "/hook" else b""
                self.send_response(status if self.path == "/hook" else 204)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _serve(data_dir: Path, names: Names, allow: str = "") -> tuple[Services, LiveServer]:
    """The app with webhooks checked by a guard that resolves through ``names``."""
    settings = load_settings(
        data_dir=data_dir,
        detection={"enabled": ["marker"]},
        auth={"api_keys_required": False},
        pipeline={"workers": 1, "poll_seconds": 0.1, "webhook_backoff_seconds": 60.0},
        outbound_allow=allow,
    )
    services = Services.build(settings)
    pipeline = services.pipeline
    pipeline.dispatcher.http.close()  # replaced before it ever sent anything
    guard = OutboundGuard(OutboundPolicy.from_settings(settings), names)
    pipeline.webhooks = WebhookService(services.sessions, pipeline.settings, guard)
    pipeline.dispatcher = WebhookDispatcher(
        pipeline.webhooks, guard, pipeline.settings.poll_seconds
    )
    return services, LiveServer(create_app(settings, services))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    names = Names({"metadata.internal": ["10.0.0.5"], "hooks.example": [PUBLIC]})
    services, live = _serve(tmp_path_factory.mktemp("guard") / "data", names)
    try:
        with live as server:
            yield server.url
    finally:
        services.close()


REFUSED = [
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/", "loopback"),
    ("http://localhost/", "loopback"),
    ("http://localhost./", "loopback"),
    ("http://2130706433/", "loopback"),  # decimal 127.0.0.1
    ("http://0177.0.0.1/", "loopback"),  # octal 127.0.0.1
    ("http://0x7f.1/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "ipv4-mapped"),
    ("http://10.1.2.3/", "private"),
    ("http://192.168.0.1:8443/", "private"),
    ("http://metadata.internal/hook", "private"),  # a name that resolves internally
]


@pytest.mark.parametrize(("url", "address_class"), REFUSED)
def test_an_internal_url_is_refused_at_registration(api: str, url: str, address_class: str) -> None:
    refused = httpx.post(f"{api}/v1/webhooks", json={"url": url})
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "OutboundAddressRefusedException"
    assert error["details"] == {"address_class": address_class}
    assert "10.0.0.5" not in refused.text  # what an internal name resolves to is not shown
    assert httpx.get(f"{api}/v1/webhooks").json()["items"] == []


def test_a_name_that_does_not_resolve_is_refused(api: str) -> None:
    refused = httpx.post(f"{api}/v1/webhooks", json={"url": "https://nowhere.invalid/hook"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "OutboundHostUnresolvedException"


def test_a_public_url_is_registered(api: str) -> None:
    created = httpx.post(f"{api}/v1/webhooks", json={"url": "https://hooks.example/modgate"})
    assert created.status_code == 201, created.text
    assert httpx.delete(f"{api}/v1/webhooks/{created.json()['id']}").status_code == 204


def test_a_short_secret_is_refused_and_a_generated_one_is_long(api: str) -> None:
    url = "https://hooks.example/modgate"
    for short in ("s3cret", "fifteen-bytes!!"):
        refused = httpx.post(f"{api}/v1/webhooks", json={"url": url, "secret": short})
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "WebhookSecretTooShortException"
    too_long = httpx.post(f"{api}/v1/webhooks", json={"url": url, "secret": "x" * 129})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == "InvalidParameterException"
    assert httpx.get(f"{api}/v1/webhooks").json()["items"] == []
    chosen = httpx.post(f"{api}/v1/webhooks", json={"url": url, "secret": "sixteen-bytes-ok"})
    generated = httpx.post(f"{api}/v1/webhooks", json={"url": url})
    assert chosen.status_code == generated.status_code == 201
    assert chosen.json()["secret"] == "sixteen-bytes-ok"
    assert len(generated.json()["secret"].encode()) >= 32
    for created in (chosen, generated):
        httpx.delete(f"{api}/v1/webhooks/{created.json()['id']}")


def _delivery_log(base_url: str, endpoint_id: str) -> dict[str, Any]:
    """The endpoint's one delivery, once its first try has been recorded."""

    def tried() -> dict[str, Any] | None:
        items = httpx.get(f"{base_url}/v1/webhooks/{endpoint_id}/deliveries").json()["items"]
        done = [d for d in items if d["status"] == "delivered" or d["last_error"]]
        return done[0] if done else None

    found: dict[str, Any] = wait_for(tried, timeout=30)
    return found


def _moderate(base_url: str, seed: int) -> None:
    httpx.post(
        f"{base_url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.png", plain_png(seed))},
        timeout=60,
    ).raise_for_status()


def test_a_name_that_rebinds_to_loopback_gets_nothing_sent(tmp_path: Path) -> None:
    names = Names({"hooks.example": [PUBLIC]})
    services, live = _serve(tmp_path / "data", names)
    try:
        with live as server, Receiver() as receiver:
            url = f"http://hooks.example:{receiver.port}/hook"
            endpoint = httpx.post(f"{server.url}/v1/webhooks", json={"url": url})
            assert endpoint.status_code == 201  # public when it was registered
            names.answers["hooks.example"] = ["127.0.0.1"]  # the receiver, when it is delivered
            _moderate(server.url, 1)
            delivery = _delivery_log(server.url, endpoint.json()["id"])
            assert delivery["last_error"] == "address_refused"
            assert delivery["last_status"] is None and delivery["status"] == "pending"
            assert receiver.paths == []
    finally:
        services.close()


def test_an_endpoint_stored_before_the_guard_is_refused_at_delivery(tmp_path: Path) -> None:
    services, live = _serve(tmp_path / "data", Names({}))
    try:
        with live as server, Receiver() as receiver:
            webhooks = services.pipeline.webhooks
            stored = Endpoint(
                id="whk_old",
                url=f"http://127.0.0.1:{receiver.port}/hook",
                events=("moderation.completed",),
                secret="an-older-secret-of-enough-bytes",
                client=None,
                active=True,
                created_at=webhooks.clock(),
            )
            webhooks.store.add_endpoint(stored, actor="cli:tests@localhost")
            _moderate(server.url, 2)
            delivery = _delivery_log(server.url, "whk_old")
            assert delivery["last_error"] == "address_refused"
            assert receiver.paths == []
    finally:
        services.close()


def test_the_delivery_log_shows_the_status_class_and_never_the_body(tmp_path: Path) -> None:
    services, live = _serve(tmp_path / "data", Names({}), allow="127.0.0.1/32")
    try:
        with live as server, Receiver(status=500, body=SECRET_BODY) as receiver:
            endpoint = httpx.post(
                f"{server.url}/v1/webhooks", json={"url": f"http://127.0.0.1:{receiver.port}/hook"}
            ).json()
            _moderate(server.url, 3)
            delivery = _delivery_log(server.url, endpoint["id"])
            assert (delivery["last_status"], delivery["last_error"]) == (500, "http_500")
            assert receiver.paths == ["/hook"]
            log_url = f"{server.url}/v1/webhooks/{endpoint['id']}/deliveries"
            assert "hunter2" not in httpx.get(log_url).text
            # A row written before this rule kept the body; the log still shows only its class.
            with services.sessions.begin() as session:
                session.execute(
                    update(WebhookDeliveryRow).values(last_error=f"HTTP 500: {SECRET_BODY}")
                )
            shown = httpx.get(log_url)
            assert shown.json()["items"][0]["last_error"] == "http_500"
            assert "hunter2" not in shown.text
    finally:
        services.close()


def test_a_redirect_is_refused_and_not_followed(tmp_path: Path) -> None:
    services, live = _serve(tmp_path / "data", Names({}), allow="127.0.0.1/32")
    try:
        with live as server, Receiver() as receiver:
            url = f"http://127.0.0.1:{receiver.port}/redirect"
            endpoint = httpx.post(f"{server.url}/v1/webhooks", json={"url": url}).json()
            _moderate(server.url, 4)
            delivery = _delivery_log(server.url, endpoint["id"])
            assert (delivery["last_status"], delivery["last_error"]) == (302, "redirect_refused")
            assert receiver.paths == ["/redirect"]  # /target never asked for
    finally:
        services.close()


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (None, None),
        ("timeout", "timeout"),
        ("http_503", "http_503"),
        ("endpoint_deleted", "endpoint_deleted"),
        ("HTTP 500: <html>internal admin page</html>", "http_500"),
        ("HTTP 302: ", "redirect_refused"),
        ("the endpoint was deleted", "endpoint_deleted"),
        ("ConnectError: [Errno 111] Connection refused to 10.0.0.5", "request_failed"),
    ],
)
def test_stored_errors_are_shown_as_their_class_only(stored: str | None, shown: str | None) -> None:
    assert public_error(stored) == shown
