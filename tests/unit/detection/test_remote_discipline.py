"""The shared discipline of remote backends: retries with jitter, the circuit breaker, the
concurrency limit and the cost counters."""

from __future__ import annotations

import random

import pytest

from modgate.detection.remote.discipline import RemoteCaller, RemoteCallError, RemoteOptions
from modgate.detection.remote.usage import RemoteUsage
from modgate.errors import RemoteBackendUnavailableException


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def caller(**options: float) -> tuple[RemoteCaller, Clock, list[float], RemoteUsage]:
    clock, sleeps, usage = Clock(), [], RemoteUsage()
    remote = RemoteCaller(
        "fake",
        RemoteOptions(**options),
        usage,
        clock=clock,
        sleep=sleeps.append,
        rng=random.Random(7),
    )
    return remote, clock, sleeps, usage


def failing(times: int, reason: str = "http_503", retryable: bool = True):  # type: ignore[no-untyped-def]
    calls = []

    def request() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise RemoteCallError(reason, retryable=retryable)
        return "ok"

    return request, calls


def test_a_failure_worth_retrying_is_retried_after_a_jittered_delay() -> None:
    remote, _, sleeps, usage = caller(retries=2, backoff_seconds=1.0, backoff_max_seconds=1.5)
    request, calls = failing(2)
    assert remote.call(request, images=1) == "ok"
    assert len(calls) == 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 1.5  # full jitter under the ceiling
    assert sleeps[0] != sleeps[1]
    counts = usage.snapshot()
    assert counts.backend("fake", "calls") == 3
    assert counts.backend("fake", "images") == 3
    assert counts.backend("fake", "retries") == 2
    assert counts.backend("fake", "failures") == 2


def test_a_refused_request_is_not_retried_and_says_why() -> None:
    remote, _, sleeps, _ = caller(retries=3)
    request, calls = failing(5, "InvalidImageFormatException", retryable=False)
    with pytest.raises(RemoteBackendUnavailableException, match="InvalidImageFormatException"):
        remote.call(request)
    assert len(calls) == 1 and sleeps == []


def test_the_error_after_the_last_retry_is_a_503() -> None:
    remote, _, _, _ = caller(retries=1)
    request, calls = failing(10, "timeout")
    with pytest.raises(RemoteBackendUnavailableException) as raised:
        remote.call(request)
    assert raised.value.http_status == 503
    assert "timeout (after 2 tries)" in raised.value.message
    assert len(calls) == 2


def test_the_circuit_opens_refuses_without_calling_then_a_probe_closes_it() -> None:
    remote, clock, _, usage = caller(retries=0, circuit_failures=3, circuit_reset_seconds=30)
    request, calls = failing(3)
    for _ in range(3):
        with pytest.raises(RemoteBackendUnavailableException):
            remote.call(request)
    assert remote.breaker.state == "open"
    with pytest.raises(RemoteBackendUnavailableException, match="circuit is open"):
        remote.call(request)
    assert len(calls) == 3  # refused without a request
    clock.now = 31.0
    assert remote.breaker.state == "half_open"
    assert remote.call(request) == "ok"  # the probe succeeds
    assert remote.breaker.state == "closed"
    counts = usage.snapshot()
    assert counts.backend("fake", "circuit_opened") == 1
    assert counts.backend("fake", "refused") == 1


def test_a_failed_probe_opens_the_circuit_again() -> None:
    remote, clock, _, _ = caller(retries=0, circuit_failures=1, circuit_reset_seconds=10)
    request, _ = failing(2)
    with pytest.raises(RemoteBackendUnavailableException):
        remote.call(request)
    clock.now = 10.0
    with pytest.raises(RemoteBackendUnavailableException):
        remote.call(request)  # the probe fails
    assert remote.breaker.state == "open"
    clock.now = 20.0
    assert remote.call(request) == "ok"


def test_request_errors_do_not_open_the_circuit() -> None:
    remote, _, _, _ = caller(retries=0, circuit_failures=1)

    def refused() -> str:
        raise RemoteCallError("InvalidParameterException", retryable=False, unhealthy=False)

    for _ in range(3):
        with pytest.raises(RemoteBackendUnavailableException):
            remote.call(refused)
    assert remote.breaker.state == "closed"


def test_no_more_requests_in_flight_than_the_limit() -> None:
    remote, _, _, usage = caller(concurrency=1, timeout_seconds=0.05, retries=0)

    def nested() -> str:
        return remote.call(lambda: "inner")  # a second request while the only slot is taken

    with pytest.raises(RemoteBackendUnavailableException, match="request slots"):
        remote.call(nested)
    assert usage.snapshot().backend("fake", "refused") == 1


def test_the_remote_share_per_surface() -> None:
    usage = RemoteUsage()
    usage.cascade_items("chat", 10, 2)
    usage.cascade_items(None, 10, 8)
    snapshot = usage.snapshot()
    assert snapshot.remote_share("chat") == 0.2
    assert snapshot.remote_share("") == 0.8
    assert snapshot.remote_share() == 0.5


def test_an_unexpected_error_in_a_probe_does_not_leave_the_circuit_stuck_open() -> None:
    remote, clock, _, _ = caller(retries=0, circuit_failures=1, circuit_reset_seconds=10)
    request, _ = failing(1)
    with pytest.raises(RemoteBackendUnavailableException):
        remote.call(request)
    clock.now = 10.0

    def broken() -> str:
        raise KeyError("a bug in the request code")

    with pytest.raises(KeyError):
        remote.call(broken)  # the probe ends without a verdict
    assert remote.call(request) == "ok"  # the next caller may probe
    assert remote.breaker.state == "closed"
