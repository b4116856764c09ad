"""What a call does between its requests, written once for both clients: retries after 429 and
503, and waiting for a moderation to be decided. Each is a generator that yields the next
request (a ``Call``, sent back its ``httpx.Response``) or a pause (``Pause``, in seconds) and
returns the result; ``Client`` runs it with ``time.sleep``, ``AsyncClient`` with
``asyncio.sleep``, neither with logic of its own."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import Any, NamedTuple, TypeAlias, TypeVar

import httpx

from modgate.client import operations
from modgate.client.errors import ModerationTimeoutError, error_for
from modgate.client.operations.call import Call
from modgate.client.retry import Retry
from modgate.client.types import Moderation

T = TypeVar("T")


class Pause(NamedTuple):
    seconds: float


Step: TypeAlias = Call[Any] | Pause
Flow: TypeAlias = Generator[Step, httpx.Response | None, T]
# A moderation in one of these states is decided; in any other it is still on its way.
DECIDED = frozenset({"completed", "failed"})


def raise_for(response: httpx.Response) -> None:
    """Raises the ``ModgateAPIError`` subclass for an error answer."""
    code: str | None = None
    message = response.reason_phrase or f"HTTP {response.status_code}"
    details: dict[str, Any] | None = None
    try:
        error = response.json()["error"]
        code = str(error["code"])
        message = str(error.get("message") or message)
        details = error.get("details") if isinstance(error.get("details"), dict) else None
    except (ValueError, KeyError, TypeError):  # not modgate's error body (a proxy's page …)
        pass
    raise error_for(response.status_code, code, message, details, response.headers)


def send(call: Call[T], retry: Retry) -> Flow[T]:
    """``call``, tried again after a 429 or 503 as ``retry`` says; its answer read, or its
    error raised."""
    attempt = 1
    while True:
        response = yield call
        assert response is not None
        if response.is_success:
            return call.parse(response)
        wait = (
            retry.wait(attempt, response.status_code, response.headers) if call.replayable else None
        )
        if wait is None:
            raise_for(response)
        yield Pause(wait or 0.0)
        attempt += 1


def moderate(
    call: Call[Moderation],
    retry: Retry,
    wait: bool,
    timeout: float,
    poll_interval: float,
    clock: Callable[[], float] = time.monotonic,
) -> Flow[Moderation]:
    """Submit a moderation; with ``wait``, poll it until it is decided or ``timeout`` seconds
    have passed since it was submitted (``ModerationTimeoutError``). Polls start every
    ``poll_interval`` seconds and space out to four times that."""
    started = clock()
    moderation = yield from send(call, retry)
    interval = poll_interval
    while wait and moderation["status"] not in DECIDED:
        remaining = started + timeout - clock()
        if remaining <= 0:
            raise ModerationTimeoutError(moderation, timeout)
        yield Pause(min(interval, remaining))
        interval = min(interval * 1.5, poll_interval * 4)
        moderation = yield from send(operations.get_moderation(moderation["id"]), retry)
    return moderation
