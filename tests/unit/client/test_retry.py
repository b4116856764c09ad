"""Retries of 429 and 503 (over ``httpx.MockTransport``, to shape the server's answers):
``Retry-After`` in seconds or as a date, a bound on tries and on waiting, bodies sent again
whole, and what is never retried."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import io
from collections.abc import Callable, Iterator

import httpx
import pytest

from modgate.client import NO_RETRY, AsyncClient, Client, Retry
from modgate.client import errors as e
from modgate.client.retry import retry_after_seconds

OK = {"status": "ok", "version": "1"}
BUSY = {"error": {"code": "StoreUnavailableException", "message": "Try again."}}


def _server(answers: list[httpx.Response]) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []
    replies: Iterator[httpx.Response] = iter(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return next(replies)

    return seen, httpx.MockTransport(handle)


def _busy(status: int = 503, retry_after: str | None = "0") -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(status, json=BUSY, headers=headers)


def _client(transport: httpx.MockTransport, retry: Retry | None = None) -> Client:
    return Client("http://modgate.test", "mgk_x", transport=transport, retry=retry)


def test_a_503_is_tried_again_after_retry_after() -> None:
    seen, transport = _server([_busy(), _busy(429), httpx.Response(200, json=OK)])
    assert _client(transport).get_health() == OK
    assert len(seen) == 3
    assert all(r.headers["authorization"] == "Bearer mgk_x" for r in seen)


def test_tries_are_bounded_and_the_last_error_is_raised() -> None:
    seen, transport = _server([_busy()] * 5)
    with pytest.raises(e.StoreUnavailableException) as busy:
        _client(transport, Retry(attempts=4)).get_health()
    assert len(seen) == 4 and busy.value.status == 503 and busy.value.retry_after == "0"


def test_a_longer_retry_after_than_allowed_is_not_waited_for() -> None:
    seen, transport = _server([_busy(retry_after="120")])
    with pytest.raises(e.StoreUnavailableException) as busy:
        _client(transport, Retry(max_wait=30)).get_health()
    assert len(seen) == 1 and busy.value.retry_after == "120"


def test_retry_after_as_an_http_date() -> None:
    soon = email.utils.format_datetime(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5), True)
    seen, transport = _server([_busy(429, soon), httpx.Response(200, json=OK)])
    assert _client(transport).get_health() == OK and len(seen) == 2
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:07 GMT", now) == 7.0
    assert retry_after_seconds("garbage") is None and retry_after_seconds("-4") == 0.0


def test_without_retry_after_the_backoff_doubles_up_to_the_cap() -> None:
    retry = Retry(attempts=6, backoff=0.5, max_wait=3)
    waits = [retry.wait(attempt, 503, {}) for attempt in range(1, 7)]
    assert waits == [0.5, 1.0, 2.0, 3, 3, None]
    assert retry.wait(1, 503, {"retry-after": "2"}) == 2.0


@pytest.mark.parametrize("status", [400, 404, 409, 500, 502, 507])
def test_other_errors_are_not_retried(status: int) -> None:
    seen, transport = _server([_busy(status)] * 2)
    with pytest.raises(e.ModgateAPIError) as failed:
        _client(transport).get_health()
    assert len(seen) == 1 and failed.value.status == status


def test_retries_can_be_turned_off() -> None:
    seen, transport = _server([_busy()] * 2)
    with pytest.raises(e.StoreUnavailableException):
        _client(transport, NO_RETRY).get_health()
    assert len(seen) == 1


def _without_boundary(request: httpx.Request) -> bytes:
    boundary = request.headers["content-type"].split("boundary=", 1)[1].encode()
    return request.content.replace(boundary, b"")


@pytest.mark.parametrize(
    "media",
    [
        lambda path: b"\x89PNG-bytes",
        lambda path: path,
        lambda path: io.BytesIO(b"\x89PNG-bytes"),
    ],
    ids=["bytes", "path", "seekable file"],
)
def test_an_upload_is_sent_whole_at_each_try(
    media: Callable[[object], object], tmp_path: pytest.TempPathFactory
) -> None:
    path = tmp_path / "photo.png"  # type: ignore[operator]
    path.write_bytes(b"\x89PNG-bytes")
    source = media(path)
    seen, transport = _server([_busy(), httpx.Response(201, json={"id": "mod_1"})])
    _client(transport).moderate(source)  # type: ignore[arg-type]
    assert len(seen) == 2
    first, second = (_without_boundary(request) for request in seen)
    assert first == second and b"\r\n\r\n\x89PNG-bytes\r\n" in second


def test_a_stream_that_cannot_seek_is_sent_once() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = io.BytesIO(b"\x89PNG-bytes")

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    seen, transport = _server([_busy(), httpx.Response(201, json={"id": "mod_1"})])
    with pytest.raises(e.StoreUnavailableException):
        _client(transport).moderate(Pipe())  # type: ignore[arg-type]
    assert len(seen) == 1


def test_an_error_body_that_is_not_modgates() -> None:
    seen, transport = _server([httpx.Response(502, text="<html>Bad gateway</html>")])
    with pytest.raises(e.ModgateAPIError) as failed:
        _client(transport).get_health()
    assert failed.value.status == 502 and failed.value.code == "HTTP502"
    assert failed.value.message == "Bad Gateway"


def test_the_async_client_retries_the_same_way() -> None:
    seen: list[httpx.Request] = []
    answers = iter([_busy(), _busy(429), httpx.Response(200, json=OK)])

    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    async def run() -> object:
        transport = httpx.MockTransport(handle)
        async with AsyncClient("http://modgate.test", "k", transport=transport) as client:
            return await client.get_health()

    assert asyncio.run(run()) == OK and len(seen) == 3


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Retry(attempts=0)
    with pytest.raises(ValueError):
        Client("modgate.test")
    assert "mgk_secret" not in repr(Client("http://modgate.test", "mgk_secret").settings)
