"""Where webhooks are kept: the ``WebhookStore`` protocol and its SQL implementation.

Endpoints, the delivery log, the fan-out of committed events into deliveries, and claims. Each
event fans out exactly once: its deliveries and its ``webhook_fanout`` row are inserted in one
transaction, and a second dispatcher doing the same batch hits the fan-out row's primary key and
gives way. A delivery is claimed under a lease (``locked_until``) that counts as a try, so one
whose sender died is tried again once the lease runs out; PostgreSQL claimers skip each other's
rows (``FOR UPDATE SKIP LOCKED``), SQLite's run one after another (``BEGIN IMMEDIATE``).
``modgate.events.webhooks.memory.InMemoryWebhookStore`` is its test double; both pass the same
contract (``tests/contracts/test_webhook_store.py``).

An endpoint belongs to a tenant: it is listed, deleted and its log read only by that tenant
(another tenant's is not found), and an event fans out only to the endpoints of its moderation's
tenant, or of the tenant the event names (a stream's event); an event whose moderation is gone
counts as the ``default`` tenant's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any, Protocol

from sqlalchemy import BindParameter, Row, Select, bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker

from modgate import audit
from modgate.db.base import decode_cursor, encode_cursor, new_id, table_of, transaction
from modgate.db.dialect import skip_locked
from modgate.errors import ResourceNotFoundException
from modgate.events import SUBSCRIBABLE_EVENTS, EventRow
from modgate.events.webhooks.models import (
    ENDPOINT_DELETED,
    Attempt,
    Delivery,
    Endpoint,
    LoggedEvent,
)
from modgate.events.webhooks.tables import (
    WebhookDeliveryRow,
    WebhookEndpointRow,
    WebhookFanoutRow,
)
from modgate.moderation.tables import ModerationRow
from modgate.tenants import DEFAULT_TENANT

FANOUT_WINDOW = 100_000


class WebhookStore(Protocol):
    def add_endpoint(self, endpoint: Endpoint, *, actor: str) -> None:
        """Store a new endpoint; ``actor`` (as the audit log names actors) added it."""
        ...

    def active_endpoints(self, tenant: str | None = None) -> list[Endpoint]:
        """Active endpoints; only ``tenant``'s when given."""
        ...

    def deactivate(self, endpoint_id: str, tenant: str | None = None, *, actor: str) -> None:
        """End the endpoint and fail its pending deliveries; ``actor`` ended it. Raises
        ResourceNotFoundException for an unknown, ended or (with ``tenant``) another tenant's
        endpoint."""
        ...

    def deliveries(
        self, endpoint_id: str, tenant: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        """A page of the endpoint's deliveries, newest first, and the next page's cursor."""
        ...

    def fan_out(self, now: dt.datetime, batch: int) -> int:
        """Turn up to ``batch`` committed, not yet fanned-out webhook events into deliveries;
        how many events were fanned out (0 when another process took them first)."""
        ...

    def claim(
        self, now: dt.datetime, lease: dt.timedelta, busy: Collection[str] = ()
    ) -> Delivery | None:
        """The next due delivery to an endpoint not in ``busy``, leased until ``now + lease``
        and counted as a try."""
        ...

    def outgoing(self, delivery: Delivery) -> tuple[Endpoint, LoggedEvent]:
        """The endpoint a claimed delivery goes to (perhaps ended since) and its event."""
        ...

    def record_attempt(self, delivery_id: str, attempt: Attempt) -> None:
        """Record how a try ended and release the delivery's lease."""
        ...


def _due_query(claimable: bool, busy: bool) -> Select[str]:
    """Ids of pending deliveries whose time (bound as ``now``) has come, except to an endpoint
    that is failing (one of its deliveries waits for a retry): those wait for that retry too,
    untried. A receiver that hangs then costs one timeout per retry, not one per event, and
    holds up no one else. ``claimable``: not leased, earliest first; ``busy``: not to the
    endpoints bound as ``busy``. Built once per shape: building costs more than running."""
    waiting = aliased(WebhookDeliveryRow)
    now: BindParameter[dt.datetime] = bindparam("now")
    query = select(WebhookDeliveryRow.id).where(
        WebhookDeliveryRow.status == "pending",
        WebhookDeliveryRow.next_attempt_at <= now,
        ~exists().where(
            waiting.endpoint_id == WebhookDeliveryRow.endpoint_id,
            waiting.status == "pending",
            waiting.attempts > 0,
            waiting.next_attempt_at > now,
        ),
    )
    if busy:
        query = query.where(
            WebhookDeliveryRow.endpoint_id.not_in(bindparam("busy", expanding=True))
        )
    if claimable:
        query = query.where(
            WebhookDeliveryRow.locked_until.is_(None) | (WebhookDeliveryRow.locked_until < now)
        ).order_by(WebhookDeliveryRow.next_attempt_at)
    return query.limit(1)


_DUE_QUERIES = {
    (claimable, busy): _due_query(claimable, busy)
    for claimable in (False, True)
    for busy in (False, True)
}
_LAST_FANNED = select(func.max(WebhookFanoutRow.event_id))
_UNFANNED = (
    select(
        EventRow.id,
        EventRow.name,
        EventRow.moderation_id,
        func.coalesce(ModerationRow.tenant, EventRow.tenant, DEFAULT_TENANT).label("tenant"),
    )
    .outerjoin(WebhookFanoutRow, WebhookFanoutRow.event_id == EventRow.id)
    .outerjoin(ModerationRow, ModerationRow.id == EventRow.moderation_id)
    .where(
        WebhookFanoutRow.event_id.is_(None),
        EventRow.name.in_(SUBSCRIBABLE_EVENTS),
        EventRow.id > bindparam("floor"),
    )
    .order_by(EventRow.id)
    .limit(bindparam("limit"))
)
_INSERT_DELIVERIES = insert(table_of(WebhookDeliveryRow))
_INSERT_FANOUT = insert(table_of(WebhookFanoutRow))


def _endpoint(row: WebhookEndpointRow) -> Endpoint:
    return Endpoint(
        id=row.id,
        url=row.url,
        events=tuple(row.events),
        secret=row.secret,
        client=row.client,
        active=row.active,
        created_at=row.created_at,
        tenant=row.tenant,
    )


def _delivery(row: WebhookDeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        event_id=row.event_id,
        endpoint_id=row.endpoint_id,
        event_name=row.event_name,
        moderation_id=row.moderation_id,
        status=row.status,
        attempts=row.attempts,
        last_status=row.last_status,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
    )


class SqlWebhookStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # ---- endpoints ------------------------------------------------------------------------
    def add_endpoint(self, endpoint: Endpoint, *, actor: str) -> None:
        with transaction(self.sessions) as session:
            _audit_endpoint(
                session, "webhook.created", endpoint.id, endpoint.tenant, actor, endpoint
            )
            session.add(
                WebhookEndpointRow(
                    id=endpoint.id,
                    tenant=endpoint.tenant,
                    client=endpoint.client,
                    url=endpoint.url,
                    events=list(endpoint.events),
                    secret=endpoint.secret,
                    active=endpoint.active,
                    created_at=endpoint.created_at,
                )
            )

    def active_endpoints(self, tenant: str | None = None) -> list[Endpoint]:
        query = select(WebhookEndpointRow).where(WebhookEndpointRow.active.is_(True))
        if tenant is not None:
            query = query.where(WebhookEndpointRow.tenant == tenant)
        with self.sessions() as session:
            return [_endpoint(row) for row in session.scalars(query)]

    def deactivate(self, endpoint_id: str, tenant: str | None = None, *, actor: str) -> None:
        with transaction(self.sessions) as session:
            row = _owned_endpoint(session, endpoint_id, tenant)
            row.active = False
            _audit_endpoint(session, "webhook.deleted", row.id, row.tenant, actor, _endpoint(row))
            session.execute(
                update(WebhookDeliveryRow)
                .where(
                    WebhookDeliveryRow.endpoint_id == endpoint_id,
                    WebhookDeliveryRow.status == "pending",
                )
                .values(status="failed", last_error=ENDPOINT_DELETED)
            )

    def deliveries(
        self, endpoint_id: str, tenant: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        query = (
            select(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.endpoint_id == endpoint_id)
            .order_by(WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id.desc())
            .limit(limit + 1)
        )
        if cursor:
            stamp, last_id = decode_cursor(cursor)
            query = query.where(
                (WebhookDeliveryRow.created_at < stamp)
                | ((WebhookDeliveryRow.created_at == stamp) & (WebhookDeliveryRow.id < last_id))
            )
        with self.sessions() as session:
            _owned_endpoint(session, endpoint_id, tenant)
            rows = list(session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
        return [_delivery(row) for row in rows], next_cursor

    # ---- fan-out --------------------------------------------------------------------------
    def fan_out(self, now: dt.datetime, batch: int) -> int:
        with self.sessions() as session:  # a cheap read first: idle polls take no write lock
            if not _unfanned(session, 1):
                return 0
        try:
            with transaction(self.sessions, immediate=True) as session:
                events = _unfanned(session, batch)
                if not events:
                    return 0
                deliveries = _deliveries_for(session, events, now)
                # Whole batches, in two statements: most events have no endpoint to go to.
                if deliveries:
                    session.execute(_INSERT_DELIVERIES, deliveries)
                session.execute(
                    _INSERT_FANOUT, [{"event_id": event.id, "created_at": now} for event in events]
                )
        except IntegrityError:  # another dispatcher fanned these events out first
            return 0
        return len(events)

    # ---- sending --------------------------------------------------------------------------
    def claim(
        self, now: dt.datetime, lease: dt.timedelta, busy: Collection[str] = ()
    ) -> Delivery | None:
        params: dict[str, Any] = {"now": now}
        if busy:
            params["busy"] = list(busy)
        with self.sessions() as session:  # a cheap read first: idle polls take no write lock
            if session.scalar(_DUE_QUERIES[False, bool(busy)], params) is None:
                return None
        with transaction(self.sessions, immediate=True) as session:
            chosen = session.scalar(skip_locked(_DUE_QUERIES[True, bool(busy)], session), params)
            if chosen is None:
                return None
            session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == chosen)
                .values(locked_until=now + lease, attempts=WebhookDeliveryRow.attempts + 1)
            )
            row = session.get(WebhookDeliveryRow, chosen)
            assert row is not None
            return _delivery(row)

    def outgoing(self, delivery: Delivery) -> tuple[Endpoint, LoggedEvent]:
        with self.sessions() as session:
            endpoint = session.get(WebhookEndpointRow, delivery.endpoint_id)
            event = session.get(EventRow, delivery.event_id)
            assert endpoint is not None and event is not None
            return _endpoint(endpoint), LoggedEvent(
                id=event.id, name=event.name, created_at=event.created_at, payload=event.payload
            )

    def record_attempt(self, delivery_id: str, attempt: Attempt) -> None:
        values: dict[str, Any] = {
            "last_status": attempt.status_code,
            "last_error": attempt.error,
            "locked_until": None,
        }
        if attempt.status != "pending":
            values["status"] = attempt.status
        if attempt.delivered_at is not None:
            values["delivered_at"] = attempt.delivered_at
        if attempt.next_attempt_at is not None:
            values["next_attempt_at"] = attempt.next_attempt_at
        with transaction(self.sessions) as session:
            session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery_id)
                .values(**values)
            )


def _audit_endpoint(
    session: Session, kind: str, endpoint_id: str, tenant: str, actor: str, endpoint: Endpoint
) -> None:
    """The audit entry of an endpoint's change; the URL is hashed, never stored in the log."""
    audit.append(
        session,
        kind,
        tenant=tenant,
        actor=actor,
        object=f"webhook:{endpoint_id}",
        payload={"url": endpoint.url, "events": list(endpoint.events), "client": endpoint.client},
        detail={"events": list(endpoint.events)},
    )


def _owned_endpoint(session: Session, endpoint_id: str, tenant: str | None) -> WebhookEndpointRow:
    row = session.get(WebhookEndpointRow, endpoint_id)
    if row is None or not row.active or (tenant is not None and row.tenant != tenant):
        raise ResourceNotFoundException(f"No webhook endpoint {endpoint_id!r}.")
    return row


def _unfanned(session: Session, limit: int) -> list[Row[Any]]:
    """Webhook events not fanned out yet, oldest first. Only the last ``FANOUT_WINDOW`` events
    are looked at (a transaction committing that far behind is not expected), so the scan stays
    small however long the event log grows."""
    floor = (session.scalar(_LAST_FANNED) or 0) - FANOUT_WINDOW
    return list(session.execute(_UNFANNED, {"floor": floor, "limit": limit}))


def _deliveries_for(
    session: Session, events: list[Row[Any]], now: dt.datetime
) -> list[dict[str, Any]]:
    """One delivery row per (event, active endpoint of the event's tenant that subscribed to
    it)."""
    endpoints = list(
        session.scalars(select(WebhookEndpointRow).where(WebhookEndpointRow.active.is_(True)))
    )
    deliveries = []
    for event in events:
        for endpoint in endpoints:
            if event.name not in endpoint.events or endpoint.tenant != event.tenant:
                continue
            deliveries.append(
                {
                    "id": new_id("dlv"),
                    "event_id": event.id,
                    "endpoint_id": endpoint.id,
                    "event_name": event.name,
                    "moderation_id": event.moderation_id,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    return deliveries
