"""The API as real HTTP clients use it, over real sockets: bodies streamed without a length,
clients that give up half-way, case-insensitive media types, HEAD, strict JSON, and tampered
list parameters. Every refusal is a 4xx with the JSON error body, and nothing is left behind.

The server here accepts small uploads (``MAX_UPLOAD`` bytes) so that going over is cheap."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline_helpers import plain_png

MAX_UPLOAD = 300_000
BOUNDARY = "modgate-test-boundary"


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from modgate.settings import load_settings

    return load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2, "retry_backoff_seconds": 0.1},
        auth={"api_keys_required": False},
        max_image_bytes=200_000,
        max_video_bytes=MAX_UPLOAD,
    )


def _stored(url: str, data_dir: Path) -> tuple[int, list[Path]]:
    """How many moderations the API lists, and the media files in the blob folder."""
    listed = httpx.get(f"{url}/v1/moderations", params={"limit": 500}).json()["items"]
    return len(listed), sorted((data_dir / "blobs").rglob("*.*"))


def _file_part_head(name: str = "clip.mp4") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()


def _open_upload(port: int, extra_headers: str = "") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        (
            "POST /v1/moderations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{extra_headers}\r\n"
        ).encode()
    )
    return sock


def _response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of the first final response on ``sock`` (skipping 100 Continue)."""
    raw = b""
    while True:
        while b"\r\n\r\n" not in raw:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed without an answer: {raw!r}"
            raw += chunk
        head, _, rest = raw.partition(b"\r\n\r\n")
        status = int(head.split()[1])
        if status != 100:
            break
        raw = rest
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of the answer"
        rest += chunk
    return status, json.loads(rest[:length])


def test_an_upload_streamed_past_any_accepted_size_is_refused_while_it_arrives(  # type: ignore[no-untyped-def]
    live_server, settings
) -> None:
    """A chunked upload has no length to check in advance. One that grows far past the largest
    accepted upload is answered 413 (the JSON error) as soon as it is too big, instead of the
    whole of it being read and buffered first, and nothing of it is kept."""
    before = _stored(live_server.url, settings.data_dir)
    sock = _open_upload(live_server.port, "Transfer-Encoding: chunked\r\n")
    with sock:
        head = _file_part_head()
        sock.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        block = b"\0" * 65536
        for _ in range(MAX_UPLOAD * 20 // len(block)):  # far more than any upload may be
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
            except (BrokenPipeError, ConnectionResetError):
                break
            if select.select([sock], [], [], 0)[0]:
                break  # answered
        # The body never ends: a server that waits for all of it never answers.
        status, body = _response(sock)
    assert status == 413
    assert body["error"]["code"] == "VideoTooLargeException"
    assert str(MAX_UPLOAD) in body["error"]["message"]
    assert _stored(live_server.url, settings.data_dir) == before
    assert httpx.get(f"{live_server.url}/healthz").status_code == 200


def test_a_declared_length_over_any_accepted_size_is_refused_before_the_body(  # type: ignore[no-untyped-def]
    live_server,
) -> None:
    """curl sends ``Expect: 100-continue`` and waits: a body that is too big by its
    Content-Length is refused at once, without inviting it."""
    sock = _open_upload(
        live_server.port,
        f"Content-Length: {MAX_UPLOAD * 100}\r\nExpect: 100-continue\r\n",
    )
    with sock:
        first_line = sock.recv(65536).split(b"\r\n", 1)[0]
    assert first_line.split()[1] == b"413", first_line


def test_a_client_that_disconnects_mid_upload_leaves_nothing_and_no_server_error(  # type: ignore[no-untyped-def]
    live_server, settings, caplog
) -> None:
    caplog.set_level(logging.INFO)
    before = _stored(live_server.url, settings.data_dir)
    image = plain_png(11, size=200)
    body = _file_part_head("a.png") + image + f"\r\n--{BOUNDARY}--\r\n".encode()
    half = body[: len(body) // 2]
    for headers, sent in (
        (f"Content-Length: {len(body)}\r\n", half),
        ("Transfer-Encoding: chunked\r\n", b"%x\r\n%s\r\n" % (len(half), half)),
    ):
        with _open_upload(live_server.port, headers) as sock:
            sock.sendall(sent)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        gone = [r for r in caplog.records if "client went away" in r.getMessage()]
        if len(gone) == 2 or any(r.levelno >= logging.ERROR for r in caplog.records):
            break
        time.sleep(0.05)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert httpx.get(f"{live_server.url}/healthz").status_code == 200
    assert _stored(live_server.url, settings.data_dir) == before
    # The same upload, sent whole, is moderated.
    assert (
        httpx.post(
            f"{live_server.url}/v1/moderations", files={"file": ("a.png", image)}
        ).status_code
        == 202
    )


@pytest.mark.parametrize(
    "metadata",
    [
        '{"score": NaN}',
        '{"score": Infinity}',
        '{"score": -Infinity}',
        '{"score": 1e999}',
        '{"a": ' * 5000 + "1" + "}" * 5000,
    ],
    ids=["nan", "infinity", "minus-infinity", "overflow", "deep"],
)
def test_json_that_could_not_be_answered_as_json_is_refused_and_not_stored(  # type: ignore[no-untyped-def]
    live_server, settings, metadata: str
) -> None:
    """Python's parser takes NaN and Infinity (and turns 1e999 into infinity), but no JSON
    answer can carry them: the moderation was stored and the client got a 500. Nesting past
    the parser's recursion limit was a 500 as well. Both forms of the request say 400."""
    url = f"{live_server.url}/v1/moderations"
    before = _stored(live_server.url, settings.data_dir)
    image = plain_png(12)
    as_form = httpx.post(url, files={"file": ("a.png", image)}, data={"metadata": metadata})
    media = json.dumps({"base64": base64.b64encode(image).decode()})
    as_json = httpx.post(
        url,
        content=f'{{"media": {media}, "metadata": {metadata}}}',
        headers={"Content-Type": "application/json"},
    )
    context = httpx.post(
        url,
        content=f'{{"media": {media}, "context": {{"local_time": {metadata}}}}}',
        headers={"Content-Type": "application/json"},
    )
    for response in (as_form, as_json, context):
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "InvalidParameterException"
        assert "JSON" in response.json()["error"]["message"]
    assert _stored(live_server.url, settings.data_dir) == before


def test_media_types_are_case_insensitive_and_a_blank_context_is_none(live_server) -> None:  # type: ignore[no-untyped-def]
    url = f"{live_server.url}/v1/moderations"
    image = plain_png(13)
    form = (
        _file_part_head("a.png")
        + image
        + f"\r\n--{BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="context"\r\n\r\n\r\n'
        + f"--{BOUNDARY}--\r\n".encode()
    )
    as_form = httpx.post(
        url, content=form, headers={"Content-Type": f"Multipart/Form-Data; boundary={BOUNDARY}"}
    )
    assert as_form.status_code == 202, as_form.text
    assert as_form.json()["context"] == {}
    as_json = httpx.post(
        url,
        content=json.dumps({"media": {"base64": base64.b64encode(plain_png(14)).decode()}}),
        headers={"Content-Type": "Application/JSON; charset=UTF-8"},
    )
    assert as_json.status_code == 202, as_json.text


def _cursor(stamp: str) -> str:
    raw = json.dumps([stamp, "mod_x"]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": _cursor("2026-01-01T00:00:00")},  # no offset: not a cursor we made
        {"cursor": _cursor("0001-01-01T00:00:00+01:00")},  # before year 1 in UTC
        {"created_before": "9999-12-31T23:59:59-23:59"},  # after year 9999 in UTC
        {"created_after": "0001-01-01T00:00:00+01:00"},
    ],
    ids=["naive-cursor", "cursor-before-year-1", "after-year-9999", "before-year-1"],
)
def test_list_parameters_out_of_range_are_400(live_server, params: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{live_server.url}/v1/moderations", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "InvalidParameterException"


@pytest.fixture
def connection(live_server) -> Iterator[http.client.HTTPConnection]:  # type: ignore[no-untyped-def]
    """One keep-alive connection to the server."""
    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=30)
    yield conn
    conn.close()


def test_head_is_answered_as_get_without_a_body(connection: http.client.HTTPConnection) -> None:
    """Monitors and caches ask with HEAD; HTTP asks every GET resource to answer it."""
    for path in ("/healthz", "/v1/moderations?limit=1"):
        connection.request("GET", path)
        got = connection.getresponse()
        got_body = got.read()
        connection.request("HEAD", path)  # on the same connection
        head = connection.getresponse()
        assert head.status == got.status == 200
        assert head.read() == b""
        assert head.getheader("content-type") == got.getheader("content-type")
        assert int(head.getheader("content-length") or -1) == len(got_body)
    connection.request("HEAD", "/v1/moderations/mod_nope")
    missing = connection.getresponse()
    assert missing.status == 404 and missing.read() == b""


def test_a_405_names_every_method_of_the_path(connection: http.client.HTTPConnection) -> None:
    for method, path, allowed in (
        ("OPTIONS", "/v1/moderations", "GET, HEAD, POST"),
        ("DELETE", "/v1/moderations", "GET, HEAD, POST"),
        ("PUT", "/healthz", "GET, HEAD"),
    ):
        connection.request(method, path)
        response = connection.getresponse()
        body = json.loads(response.read())
        assert response.status == 405
        assert response.getheader("allow") == allowed
        assert body["error"]["code"] == "MethodNotAllowed"
