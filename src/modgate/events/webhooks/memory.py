"""Webhooks in memory: the test double of ``SqlWebhookStore`` that ships with the code, for tests
of the dispatcher and the webhook API that need no database. It passes the same contract
(``tests/contracts/test_webhook_store.py``): each event fans out once, to the active endpoints
that subscribed to it and belong to its moderation's tenant; a delivery goes to one sender at a
time under a lease that counts as a try; a failing endpoint's deliveries wait for its retry.

The database store reads committed events from the event log; this one has its own log, which
``record`` appends to (as ``modgate.events.record`` does when its transaction commits). One lock
makes every method atomic.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from modgate.db.base import decode_cursor, encode_cursor, new_id, utcnow
from modgate.errors import ResourceNotFoundException
from modgate.events.models.base import Event
from modgate.events.models.kinds import SUBSCRIBABLE_EVENTS
from modgate.events.webhooks.models import (
    ENDPOINT_DELETED,
    Attempt,
    Delivery,
    Endpoint,
    LoggedEvent,
)
from modgate.tenants import DEFAULT_TENANT

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, slots=True)
class _Logged:
    event: LoggedEvent
    moderation_id: str | None
    tenant: str


@dataclass(frozen=True, slots=True)
class _Stored:
    delivery: Delivery
    created_at: dt.datetime
    locked_until: dt.datetime | None = None

    def leased(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked_until >= now


class InMemoryWebhookStore:
    """A ``WebhookStore`` in dicts, with its own event log (``record``)."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock
        self.endpoints: dict[str, Endpoint] = {}
        self.events: list[_Logged] = []
        self._fanned: set[int] = set()
        self._deliveries: dict[str, _Stored] = {}
        self._lock = threading.Lock()

    def record(self, event: Event, tenant: str = DEFAULT_TENANT) -> int:
        """Log ``event`` as committed, for a moderation of ``tenant``; the event's id."""
        with self._lock:
            logged = LoggedEvent(len(self.events) + 1, event.name, self.clock(), event.payload())
            self.events.append(_Logged(logged, event.moderation_id, tenant))
            return logged.id

    # ---- endpoints ------------------------------------------------------------------------
    def add_endpoint(self, endpoint: Endpoint, *, actor: str) -> None:
        with self._lock:
            if endpoint.id in self.endpoints:
                raise ValueError(f"webhook endpoint {endpoint.id} exists")
            self.endpoints[endpoint.id] = endpoint

    def active_endpoints(self, tenant: str | None = None) -> list[Endpoint]:
        with self._lock:
            return [
                endpoint
                for endpoint in self.endpoints.values()
                if endpoint.active and (tenant is None or endpoint.tenant == tenant)
            ]

    def deactivate(self, endpoint_id: str, tenant: str | None = None, *, actor: str) -> None:
        with self._lock:
            self.endpoints[endpoint_id] = replace(self._owned(endpoint_id, tenant), active=False)
            for stored in list(self._deliveries.values()):
                delivery = stored.delivery
                if delivery.endpoint_id == endpoint_id and delivery.status == "pending":
                    failed = replace(delivery, status="failed", last_error=ENDPOINT_DELETED)
                    self._deliveries[delivery.id] = replace(stored, delivery=failed)

    def deliveries(
        self, endpoint_id: str, tenant: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        with self._lock:
            self._owned(endpoint_id, tenant)
            found = sorted(
                (s for s in self._deliveries.values() if s.delivery.endpoint_id == endpoint_id),
                key=lambda s: (s.created_at, s.delivery.id),
                reverse=True,
            )
        if cursor:
            after = decode_cursor(cursor)
            found = [s for s in found if (s.created_at, s.delivery.id) < after]
        page = found[:limit]
        more = len(found) > limit
        next_cursor = encode_cursor(page[-1].created_at, page[-1].delivery.id) if more else None
        return [stored.delivery for stored in page], next_cursor

    # ---- fan-out --------------------------------------------------------------------------
    def fan_out(self, now: dt.datetime, batch: int) -> int:
        with self._lock:
            events = [
                logged
                for logged in self.events
                if logged.event.id not in self._fanned and logged.event.name in SUBSCRIBABLE_EVENTS
            ][:batch]
            endpoints = [endpoint for endpoint in self.endpoints.values() if endpoint.active]
            for logged in events:
                self._fanned.add(logged.event.id)
                for endpoint in endpoints:
                    if logged.event.name in endpoint.events and endpoint.tenant == logged.tenant:
                        self._add_delivery(logged, endpoint.id, now)
            return len(events)

    def _add_delivery(self, logged: _Logged, endpoint_id: str, now: dt.datetime) -> None:
        delivery = Delivery(
            id=new_id("dlv"),
            event_id=logged.event.id,
            endpoint_id=endpoint_id,
            event_name=logged.event.name,
            moderation_id=logged.moderation_id,
            status="pending",
            attempts=0,
            last_status=None,
            last_error=None,
            next_attempt_at=now,
            delivered_at=None,
        )
        self._deliveries[delivery.id] = _Stored(delivery, now)

    # ---- sending --------------------------------------------------------------------------
    def claim(
        self, now: dt.datetime, lease: dt.timedelta, busy: Collection[str] = ()
    ) -> Delivery | None:
        with self._lock:
            pending = [s for s in self._deliveries.values() if s.delivery.status == "pending"]
            # An endpoint with a try to repeat later is failing: its other deliveries wait too.
            failing = {
                s.delivery.endpoint_id
                for s in pending
                if s.delivery.attempts > 0 and s.delivery.next_attempt_at > now
            }
            due = [
                s
                for s in pending
                if s.delivery.next_attempt_at <= now
                and not s.leased(now)
                and s.delivery.endpoint_id not in failing
                and s.delivery.endpoint_id not in busy
            ]
            if not due:
                return None
            chosen = min(due, key=lambda s: (s.delivery.next_attempt_at, s.created_at))
            tried = replace(chosen.delivery, attempts=chosen.delivery.attempts + 1)
            self._deliveries[tried.id] = replace(chosen, delivery=tried, locked_until=now + lease)
            return tried

    def outgoing(self, delivery: Delivery) -> tuple[Endpoint, LoggedEvent]:
        with self._lock:
            return self.endpoints[delivery.endpoint_id], self.events[delivery.event_id - 1].event

    def record_attempt(self, delivery_id: str, attempt: Attempt) -> None:
        with self._lock:
            stored = self._deliveries[delivery_id]
            delivery = replace(
                stored.delivery,
                status=attempt.status if attempt.status != "pending" else stored.delivery.status,
                last_status=attempt.status_code,
                last_error=attempt.error,
                delivered_at=attempt.delivered_at or stored.delivery.delivered_at,
                next_attempt_at=attempt.next_attempt_at or stored.delivery.next_attempt_at,
            )
            self._deliveries[delivery_id] = replace(stored, delivery=delivery, locked_until=None)

    def _owned(self, endpoint_id: str, tenant: str | None) -> Endpoint:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or not endpoint.active or tenant not in (None, endpoint.tenant):
            raise ResourceNotFoundException(f"No webhook endpoint {endpoint_id!r}.")
        return endpoint
