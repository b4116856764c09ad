"""Sending webhooks: a background thread fans new events out into deliveries and hands due
deliveries to a pool of sending threads; each is POSTed, signed, and retried with exponential
backoff until it gets a 2xx or runs out of tries.

Up to ``concurrency`` deliveries are under way at once, at most one per endpoint, so a receiver
that hangs holds one sending thread for its timeout and delays no other endpoint. Receivers
deduplicate by ``Modgate-Event-Id``: a try whose outcome could not be recorded is made again.

Every try goes through the outbound guard's client: the host is resolved and checked again at
connect time and the checked address is the one connected to (a name that now answers 127.0.0.1
is refused, ``address_refused``), and a redirect is refused, not followed. The log keeps the
status code and the error class of each try, never the receiver's body.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait

from modgate.events.webhooks.models import (
    ENDPOINT_DELETED,
    Attempt,
    Delivery,
    Endpoint,
    LoggedEvent,
    WebhookSettings,
)
from modgate.events.webhooks.service import WebhookService
from modgate.events.webhooks.signing import SIGNATURE_HEADER, sign
from modgate.outbound import OutboundGuard, request_outcome

logger = logging.getLogger(__name__)
FANOUT_BATCH = 200  # events fanned out per transaction


def request_of(
    delivery: Delivery, endpoint: Endpoint, event: LoggedEvent, timestamp: int
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one try, signed at ``timestamp``."""
    body = json.dumps(
        {
            "id": event.id,
            "type": event.name,
            "created_at": event.created_at.isoformat(),
            "data": event.payload,
        },
        sort_keys=True,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "modgate-webhooks",
        "Modgate-Event": event.name,
        "Modgate-Event-Id": str(event.id),
        "Modgate-Delivery": delivery.id,
        SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
    }
    return body, headers


def attempt_of(
    delivery: Delivery,
    status_code: int | None,
    error: str | None,
    now: dt.datetime,
    settings: WebhookSettings,
    final: bool = False,
) -> Attempt:
    """Where a delivery stands after a try (``error``: its error class, None when delivered):
    delivered, failed for good (``final``, or its last try), or pending until a retry that
    waits twice as long as the one before."""
    if error is None:
        return Attempt("delivered", status_code, None, delivered_at=now)
    if final or delivery.attempts >= settings.webhook_max_attempts:
        logger.warning("webhook delivery %s failed for good: %s", delivery.id, error)
        return Attempt("failed", status_code, error)
    delay = settings.webhook_backoff_seconds * 2 ** (delivery.attempts - 1)
    return Attempt("pending", status_code, error, next_attempt_at=now + dt.timedelta(seconds=delay))


class WebhookDispatcher:
    """A background thread: fan out new events, hand due deliveries to sending threads, repeat.

    ``start()`` once, ``stop()`` at shutdown (waits for the tries under way, up to the timeout,
    and closes the connections). Deliveries are sent through ``guard``'s client only.
    """

    def __init__(
        self,
        service: WebhookService,
        guard: OutboundGuard,
        poll_seconds: float,
        concurrency: int = 8,
    ) -> None:
        self.service = service
        self.store = service.store
        self.guard = guard
        self.http = guard.client(timeout=service.settings.webhook_timeout_seconds)
        self.poll_seconds = poll_seconds
        self.concurrency = concurrency
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._busy: dict[str, Future[None]] = {}  # endpoint id → its delivery under way
        self._thread: threading.Thread | None = None
        self._senders: ThreadPoolExecutor | None = None

    def start(self) -> None:
        self._stop.clear()
        if self.http.is_closed:  # started again after a stop
            self.http = self.guard.client(timeout=self.service.settings.webhook_timeout_seconds)
        self._senders = ThreadPoolExecutor(self.concurrency, thread_name_prefix="modgate-webhook")
        self._thread = threading.Thread(target=self._loop, name="modgate-webhooks", daemon=True)
        self._thread.start()

    def send(self, delivery: Delivery) -> None:
        """POST a claimed delivery and record the outcome (a retry time, or failed for good)."""
        settings, now = self.service.settings, self.service.clock
        endpoint, event = self.store.outgoing(delivery)
        if not endpoint.active:  # deleted after this delivery was claimed
            attempt = attempt_of(delivery, None, ENDPOINT_DELETED, now(), settings, final=True)
            self.store.record_attempt(delivery.id, attempt)
            return
        body, headers = request_of(delivery, endpoint, event, int(now().timestamp()))
        outcome = request_outcome(self.http, "POST", endpoint.url, content=body, headers=headers)
        self.store.record_attempt(
            delivery.id,
            attempt_of(delivery, outcome.status_code, outcome.error_class, now(), settings),
        )

    def _claim(self, busy: set[str]) -> Delivery | None:
        lease = dt.timedelta(seconds=self.service.settings.webhook_timeout_seconds * 3)
        return self.store.claim(self.service.clock(), lease, busy)

    def _round(self) -> None:
        while self.store.fan_out(self.service.clock(), FANOUT_BATCH):
            pass
        assert self._senders is not None
        while not self._stop.is_set():
            with self._lock:
                if len(self._busy) >= self.concurrency:
                    return
                busy = set(self._busy)
            delivery = self._claim(busy)
            if delivery is None:
                return
            with self._lock:
                self._busy[delivery.endpoint_id] = self._senders.submit(self._send, delivery)

    def _send(self, delivery: Delivery) -> None:
        try:
            self.send(delivery)
        except Exception:  # the lease runs out and the delivery is tried again
            logger.exception("webhook delivery %s could not be recorded", delivery.id)
        finally:
            with self._lock:
                self._busy.pop(delivery.endpoint_id, None)
            self._wake.set()  # a sending thread is free: claim the next delivery now

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._round()
            except Exception:
                logger.exception("webhook dispatch failed; retrying")
            self._wake.wait(self.poll_seconds)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._senders is not None:
            with self._lock:
                under_way = list(self._busy.values())
            wait(under_way, timeout=self.service.settings.webhook_timeout_seconds + 5)
            self._senders.shutdown(wait=False)
        self.http.close()
