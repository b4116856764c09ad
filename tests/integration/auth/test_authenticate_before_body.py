"""Over real HTTP: an API request without a valid key, or with a key that lacks the route's
scope, is refused before any of its body is read. Without a key, a malformed body earns a 401
(not the 400 that would say the server parsed it), and a client that waits for
``100 Continue`` is answered 401 without being invited to send its body."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modgate.app import create_app
from modgate.auth.models import SCOPES
from modgate.services import Services
from modgate.settings import load_settings
from servers import LiveServer

BOUNDARY = "modgate-test-boundary"
BAD_JSON = b'{"url": "https://example.com/hook", '
BAD_MULTIPART = b"--not-the-boundary\r\nthis is not multipart\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("keys") / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        auth={"api_keys_required": True},
    )
    services = Services.build(settings)
    all_scopes = services.auth.create_key("all", SCOPES, actor="cli:tests@localhost")[0]
    read_only = services.auth.create_key(
        "reader", ["moderations:read"], actor="cli:tests@localhost"
    )[0]
    with LiveServer(create_app(settings, services)) as live:
        yield {"url": live.url, "port": live.port, "all": all_scopes, "reader": read_only}
    services.close()


def _post(url: str, body: bytes, content_type: str, key: str | None = None) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.post(url, content=body, headers=headers)


@pytest.mark.parametrize(
    "path", ["/v1/webhooks", "/v1/moderations/missing/appeal", "/v1/moderations"]
)
def test_malformed_json_without_a_key_is_401_not_400(server: dict[str, Any], path: str) -> None:
    response = _post(server["url"] + path, BAD_JSON, "application/json")
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "AuthenticationRequiredException"
    revoked_or_forged = _post(server["url"] + path, BAD_JSON, "application/json", "mgk_forged")
    assert revoked_or_forged.status_code == 401


@pytest.mark.parametrize("path", ["/v1/media", "/v1/moderations"])
def test_malformed_multipart_without_a_key_is_401_not_400(
    server: dict[str, Any], path: str
) -> None:
    response = _post(
        server["url"] + path, BAD_MULTIPART, f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "AuthenticationRequiredException"


def test_a_key_without_the_scope_is_403_before_the_body(server: dict[str, Any]) -> None:
    """The route's scope is checked before its body too: the reader's malformed JSON to a
    route it may not call is a 403, not a 400."""
    response = _post(server["url"] + "/v1/webhooks", BAD_JSON, "application/json", server["reader"])
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "AccessDeniedException"


def test_with_the_right_key_the_body_is_read_and_judged(server: dict[str, Any]) -> None:
    response = _post(server["url"] + "/v1/webhooks", BAD_JSON, "application/json", server["all"])
    assert response.status_code == 400, response.text


def test_a_client_waiting_for_100_continue_is_refused_without_sending_its_body(
    server: dict[str, Any],
) -> None:
    """A large upload declared by its length (within the upload cap) with ``Expect:
    100-continue``: the server answers 401 at once and never asks for the body."""
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=10) as sock:
        sock.sendall(
            (
                "POST /v1/media HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                "Content-Length: 50000000\r\nExpect: 100-continue\r\n\r\n"
            ).encode()
        )
        first_line = sock.recv(65536).split(b"\r\n", 1)[0]
    assert first_line.split()[1] == b"401", first_line


def test_without_required_keys_an_anonymous_request_still_passes(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        auth={"api_keys_required": False},
    )
    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as live:
            malformed = _post(live.url + "/v1/webhooks", BAD_JSON, "application/json")
            assert malformed.status_code == 400
            listed = httpx.get(live.url + "/v1/webhooks")
            assert listed.status_code == 200
            forged = httpx.get(live.url + "/v1/webhooks", headers={"X-API-Key": "mgk_forged"})
            assert forged.status_code == 401
    finally:
        services.close()
