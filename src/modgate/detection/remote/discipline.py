"""The discipline every remote detection backend shares: a timeout per request, retries with
full jitter, a circuit breaker, a limit on requests in flight, and the cost counters.

A backend wraps each request in ``RemoteCaller.call``; the request function translates its
library's failures into ``RemoteCallError`` (one place per backend) saying whether the failure
is worth another try and whether it speaks of the backend's health. Then:

* a failure worth retrying is tried again up to ``retries`` times, after a delay drawn uniformly
  from ``[0, min(backoff_max, backoff * 2**try)]`` (AWS's "full jitter": many workers that failed
  together do not come back together);
* ``circuit_failures`` failures in a row open the circuit: for ``circuit_reset_seconds`` every
  call is refused at once, without a request; then one probe is let through (half open) and its
  outcome closes the circuit again or reopens it;
* at most ``concurrency`` requests are in flight per backend and process; a caller waits up to
  ``timeout_seconds`` for a slot, then is refused.

What cannot be done raises ``RemoteBackendUnavailableException`` (503): a job that meets it is
tried again later, and an item is never decided without the backend its surface asked for.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import Field

from modgate.detection.base import DetectorOptions
from modgate.detection.remote.usage import RemoteUsage, remote_usage
from modgate.errors import RemoteBackendUnavailableException

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RemoteOptions(DetectorOptions):
    """Options every remote backend accepts, beside its own."""

    timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    retries: int = Field(default=2, ge=0, le=10)
    backoff_seconds: float = Field(default=0.5, ge=0, le=60)
    backoff_max_seconds: float = Field(default=8.0, ge=0, le=600)
    circuit_failures: int = Field(default=5, ge=1, le=1000)
    circuit_reset_seconds: float = Field(default=30.0, gt=0, le=3600)
    concurrency: int = Field(default=4, ge=1, le=256)
    image_side: int = Field(default=512, ge=80, le=4096)


class RemoteCallError(Exception):
    """One failed request, as its backend classified it. ``reason``: a short stable string
    (``timeout``, ``http_429``, ``malformed_answer`` …); ``retryable``: another try may succeed;
    ``unhealthy``: the failure speaks of the backend (counts toward opening the circuit)."""

    def __init__(self, reason: str, *, retryable: bool = True, unhealthy: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.unhealthy = unhealthy


CircuitState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Closed → (``failures`` failures in a row) → open → (``reset_seconds``) → half open: one
    probe; its success closes the circuit, its failure opens it again."""

    def __init__(
        self, failures: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = failures
        self.reset_seconds = reset_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._state()

    def _state(self) -> CircuitState:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.reset_seconds:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a request go now? In half-open state only the first caller probes."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half_open" and not self._probing:
                self._probing = True
                return True
            return False

    def succeeded(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._probing = 0, None, False

    def failed(self) -> bool:
        """Record a failure; True when it opened the circuit."""
        with self._lock:
            self._failures += 1
            reopen = self._probing or (self._opened_at is None and self._failures >= self.threshold)
            self._probing = False
            if reopen:
                self._opened_at = self.clock()
            return reopen

    def released(self) -> None:
        """A probe ended without a verdict on the backend (the request itself was bad)."""
        with self._lock:
            self._probing = False


class RemoteCaller:
    """Runs one backend's requests under its ``RemoteOptions``; one per backend and process."""

    def __init__(
        self,
        backend: str,
        options: RemoteOptions,
        usage: RemoteUsage | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.backend = backend
        self.options = options
        self.usage = usage or remote_usage()
        self.breaker = CircuitBreaker(
            options.circuit_failures, options.circuit_reset_seconds, clock
        )
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._slots = threading.BoundedSemaphore(options.concurrency)

    def backoff(self, retry: int) -> float:
        """The delay before retry number ``retry`` (0-based), fully jittered."""
        ceiling = min(self.options.backoff_max_seconds, self.options.backoff_seconds * 2**retry)
        return self.rng.uniform(0.0, ceiling)

    def call(self, request: Callable[[], T], images: int = 0) -> T:
        """``request()`` under the discipline; ``images``: how many images it asks about."""
        attempts = self.options.retries + 1
        for attempt in range(attempts):
            try:
                return self._once(request, images)
            except RemoteCallError as exc:
                last = attempt == attempts - 1
                if not exc.retryable or last:
                    raise self.unavailable(
                        f"{exc.reason} (after {attempt + 1} tr{'y' if attempt == 0 else 'ies'})"
                    ) from exc
                self.usage.add(self.backend, "retries")
                delay = self.backoff(attempt)
                logger.info(
                    "remote backend %s: %s; retrying in %.2f s", self.backend, exc.reason, delay
                )
                self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, request: Callable[[], T], images: int) -> T:
        if not self.breaker.allow():
            self.usage.add(self.backend, "refused")
            raise self.unavailable("the circuit is open after repeated failures")
        if not self._slots.acquire(timeout=self.options.timeout_seconds):
            self.breaker.released()
            self.usage.add(self.backend, "refused")
            raise self.unavailable(
                f"all {self.options.concurrency} request slots stayed busy for "
                f"{self.options.timeout_seconds:g} s"
            )
        try:
            self.usage.add(self.backend, "calls")
            if images:
                self.usage.add(self.backend, "images", images)
            result = request()
        except RemoteCallError as exc:
            self.usage.add(self.backend, "failures")
            if exc.unhealthy:
                if self.breaker.failed():
                    self.usage.add(self.backend, "circuit_opened")
                    logger.warning("remote backend %s: circuit opened (%s)", self.backend, exc)
            else:
                self.breaker.released()
            raise
        except BaseException:  # not a verdict on the backend; a probe must not stay taken
            self.breaker.released()
            raise
        finally:
            self._slots.release()
        self.breaker.succeeded()
        return result

    def unavailable(self, why: str) -> RemoteBackendUnavailableException:
        return RemoteBackendUnavailableException(
            f"The remote detection backend {self.backend!r} is unavailable: {why}.",
            backend=self.backend,
        )
