"""Webhooks: endpoints per API client, signed deliveries, retries with backoff, a delivery log.

Events are read from the event log only after their transaction committed, so a customer is
never told about a decision that could still roll back. Each event fans out into one delivery
row per subscribed endpoint (exactly once: the fan-out is recorded with the deliveries); each
delivery is claimed under a lease, POSTed, and retried with exponential backoff until it gets a
2xx or runs out of tries. Receivers deduplicate by ``Modgate-Event-Id``.

Signature: ``Modgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``;
``verify_signature`` checks one (and the timestamp's age, against replays).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import BindParameter, Row, Select, bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker

from modgate.db.base import (
    decode_cursor,
    encode_cursor,
    new_id,
    table_of,
    transaction,
    utcnow,
)
from modgate.errors import InvalidParameterException, ResourceNotFoundException
from modgate.events import WEBHOOK_EVENTS, EventRow
from modgate.pipeline.settings import PipelineSettings
from modgate.pipeline.tables import (
    ModerationExtraRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
    WebhookFanoutRow,
)

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "Modgate-Signature"
FANOUT_WINDOW = 100_000
_INSERT_DELIVERIES = insert(table_of(WebhookDeliveryRow))
_INSERT_FANOUT = insert(table_of(WebhookFanoutRow))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str, header: str, body: bytes, now: float, tolerance_seconds: int = 300
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance`` old."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _public_endpoint(row: WebhookEndpointRow, with_secret: bool = False) -> dict[str, Any]:
    body = {
        "id": row.id,
        "url": row.url,
        "events": row.events,
        "active": row.active,
        "client": row.client,
        "created_at": row.created_at.isoformat(),
    }
    if with_secret:
        body["secret"] = row.secret
    return body


def _public_delivery(row: WebhookDeliveryRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "event_id": row.event_id,
        "event": row.event_name,
        "moderation_id": row.moderation_id,
        "status": row.status,
        "attempts": row.attempts,
        "last_status": row.last_status,
        "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at.isoformat(),
        "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
    }


ENDPOINT_DELETED = "the endpoint was deleted"


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


_LAST_FANNED = select(func.max(WebhookFanoutRow.event_id))
_UNFANNED = (
    select(EventRow.id, EventRow.name, EventRow.moderation_id)
    .outerjoin(WebhookFanoutRow, WebhookFanoutRow.event_id == EventRow.id)
    .where(
        WebhookFanoutRow.event_id.is_(None),
        EventRow.name.in_(WEBHOOK_EVENTS),
        EventRow.id > bindparam("floor"),
    )
    .order_by(EventRow.id)
    .limit(bindparam("limit"))
)
_DUE_QUERIES = {
    (claimable, busy): _due_query(claimable, busy)
    for claimable in (False, True)
    for busy in (False, True)
}


def _check_url(url: str) -> None:
    """An absolute http(s) URL that can be requested as given: no credentials (the signing
    secret authenticates modgate), no whitespace or control characters, a valid port."""
    problem = "url must be an absolute http:// or https:// URL"
    try:
        parsed = urlparse(url)
        port = parsed.port  # raises on a port that is not a number in 0-65535
        request_url = httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise InvalidParameterException(f"{problem}: {exc}.") from exc
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidParameterException(f"{problem}.")
    if any(character.isspace() or not character.isprintable() for character in url):
        raise InvalidParameterException(f"{problem}, without spaces or control characters.")
    if port == 0:
        raise InvalidParameterException(f"{problem}: port 0 cannot be connected to.")
    if parsed.username is not None or parsed.password is not None or request_url.userinfo:
        raise InvalidParameterException(
            f"{problem} without credentials: receivers authenticate modgate by the signature."
        )


class WebhookService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: PipelineSettings,
        clock: Callable[[], dt.datetime] = utcnow,
        http: httpx.Client | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.http = http or httpx.Client(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False
        )

    # ---- endpoints ------------------------------------------------------------------------
    def register(
        self,
        url: str,
        events: list[str] | None = None,
        client: str | None = None,
        secret: str | None = None,
    ) -> dict[str, Any]:
        _check_url(url)
        if events is not None and not events:
            raise InvalidParameterException(
                f"Choose at least one event from {list(WEBHOOK_EVENTS)}, or leave events out "
                "for all of them."
            )
        chosen = list(events or WEBHOOK_EVENTS)
        unknown = [e for e in chosen if e not in WEBHOOK_EVENTS]
        if unknown:
            raise InvalidParameterException(
                f"Unknown events {unknown}; choose from {list(WEBHOOK_EVENTS)}."
            )
        row = WebhookEndpointRow(
            id=new_id("whk"),
            client=client,
            url=url,
            events=chosen,
            secret=secret or secrets.token_urlsafe(32),
            created_at=self.clock(),
        )
        with transaction(self.sessions) as session:
            session.add(row)
        return _public_endpoint(row, with_secret=True)

    def endpoints(self, client: str | None = None) -> list[dict[str, Any]]:
        with self.sessions() as session:
            query = select(WebhookEndpointRow).where(WebhookEndpointRow.active.is_(True))
            if client is not None:
                query = query.where(WebhookEndpointRow.client == client)
            return [_public_endpoint(row) for row in session.scalars(query)]

    def _endpoint(
        self, session: Session, endpoint_id: str, client: str | None
    ) -> WebhookEndpointRow:
        row = session.get(WebhookEndpointRow, endpoint_id)
        if row is None or not row.active or (client is not None and row.client != client):
            raise ResourceNotFoundException(f"No webhook endpoint {endpoint_id!r}.")
        return row

    def remove(self, endpoint_id: str, client: str | None = None) -> None:
        """Deactivate the endpoint; what it has not been sent yet never will be."""
        with transaction(self.sessions) as session:
            self._endpoint(session, endpoint_id, client).active = False
            session.execute(
                update(WebhookDeliveryRow)
                .where(
                    WebhookDeliveryRow.endpoint_id == endpoint_id,
                    WebhookDeliveryRow.status == "pending",
                )
                .values(status="failed", last_error=ENDPOINT_DELETED)
            )

    def deliveries(
        self,
        endpoint_id: str,
        client: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the endpoint's delivery log, newest first, and the cursor of the next."""
        if not 1 <= limit <= 500:
            raise InvalidParameterException("limit must be between 1 and 500.")
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
            self._endpoint(session, endpoint_id, client)
            rows = list(session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
        return [_public_delivery(row) for row in rows], next_cursor

    # ---- dispatch -------------------------------------------------------------------------
    def fan_out(self, batch: int = 200) -> int:
        """Turn committed, not yet fanned-out webhook events into deliveries."""
        now = self.clock()
        with self.sessions() as session:  # a cheap read first: idle polls take no write lock
            if not self._unfanned(session, 1):
                return 0
        try:
            with transaction(self.sessions, immediate=True) as session:
                events = self._unfanned(session, batch)
                if not events:
                    return 0
                endpoints = list(
                    session.scalars(
                        select(WebhookEndpointRow).where(WebhookEndpointRow.active.is_(True))
                    )
                )
                # An event's API client matters only to endpoints that serve one client.
                by_client = any(endpoint.client is not None for endpoint in endpoints)
                deliveries = []
                for event in events:
                    client = None
                    if by_client and event.moderation_id:
                        extra = session.get(ModerationExtraRow, event.moderation_id)
                        client = extra.client if extra else None
                    for endpoint in endpoints:
                        if event.name not in endpoint.events:
                            continue
                        if endpoint.client is not None and endpoint.client != client:
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
                # Whole batches, in two statements: most events have no endpoint to go to.
                if deliveries:
                    session.execute(_INSERT_DELIVERIES, deliveries)
                session.execute(
                    _INSERT_FANOUT, [{"event_id": event.id, "created_at": now} for event in events]
                )
                count = len(events)
        except IntegrityError:  # another dispatcher fanned these events out first
            return 0
        return count

    def _unfanned(self, session: Session, limit: int) -> list[Row[Any]]:
        """Webhook events not fanned out yet, oldest first. Only the last ``FANOUT_WINDOW``
        events are looked at (a transaction committing that far behind is not expected), so the
        scan stays small however long the event log grows."""
        floor = (session.scalar(_LAST_FANNED) or 0) - FANOUT_WINDOW
        return list(session.execute(_UNFANNED, {"floor": floor, "limit": limit}))

    def claim(self, busy: Collection[str] = ()) -> WebhookDeliveryRow | None:
        """The next due delivery, leased to this process, to an endpoint not in ``busy``."""
        now = self.clock()
        lease = dt.timedelta(seconds=self.settings.webhook_timeout_seconds * 3)
        params: dict[str, Any] = {"now": now}
        if busy:
            params["busy"] = list(busy)
        with self.sessions() as session:  # a cheap read first: idle polls take no write lock
            if session.scalar(_DUE_QUERIES[False, bool(busy)], params) is None:
                return None
        with transaction(self.sessions, immediate=True) as session:
            query = _DUE_QUERIES[True, bool(busy)]
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            chosen = session.scalar(query, params)
            if chosen is None:
                return None
            session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == chosen)
                .values(locked_until=now + lease, attempts=WebhookDeliveryRow.attempts + 1)
            )
            row = session.get(WebhookDeliveryRow, chosen)
            assert row is not None
            session.refresh(row)
            session.expunge(row)
            return row

    def send(self, delivery: WebhookDeliveryRow) -> None:
        """POST a claimed delivery and record the outcome (a retry time, or failed for good)."""
        with self.sessions() as session:
            endpoint = session.get(WebhookEndpointRow, delivery.endpoint_id)
            event = session.get(EventRow, delivery.event_id)
        assert endpoint is not None and event is not None
        if not endpoint.active:  # deleted after this delivery was claimed
            self._record(delivery, None, ENDPOINT_DELETED, final=True)
            return
        body = json.dumps(
            {
                "id": event.id,
                "type": event.name,
                "created_at": event.created_at.isoformat(),
                "data": event.payload,
            },
            sort_keys=True,
        ).encode()
        timestamp = int(self.clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "modgate-webhooks",
            "Modgate-Event": event.name,
            "Modgate-Event-Id": str(event.id),
            "Modgate-Delivery": delivery.id,
            SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
        }
        status_code: int | None = None
        error: str | None = None
        try:
            response = self.http.post(endpoint.url, content=body, headers=headers)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}: {response.text[:200]}"
        except Exception as exc:  # noqa: BLE001 - whatever stopped the request, the try failed
            error = f"{type(exc).__name__}: {exc}"
        self._record(delivery, status_code, error)

    def _record(
        self,
        delivery: WebhookDeliveryRow,
        status_code: int | None,
        error: str | None,
        final: bool = False,
    ) -> None:
        now = self.clock()
        values: dict[str, Any] = {
            "last_status": status_code,
            "last_error": error,
            "locked_until": None,
        }
        if error is None:
            values.update(status="delivered", delivered_at=now)
        elif final or delivery.attempts >= self.settings.webhook_max_attempts:
            values.update(status="failed")
            logger.warning("webhook delivery %s failed for good: %s", delivery.id, error)
        else:
            delay = self.settings.webhook_backoff_seconds * 2 ** (delivery.attempts - 1)
            values.update(next_attempt_at=now + dt.timedelta(seconds=delay))
        with transaction(self.sessions) as session:
            session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery.id)
                .values(**values)
            )


class WebhookDispatcher:
    """A background thread: fan out new events, hand due deliveries to sending threads, repeat.

    Up to ``concurrency`` deliveries are under way at once, at most one per endpoint, so a
    receiver that hangs holds one sending thread for its timeout and delays no other endpoint.
    """

    def __init__(self, service: WebhookService, poll_seconds: float, concurrency: int = 8) -> None:
        self.service = service
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
        self._senders = ThreadPoolExecutor(self.concurrency, thread_name_prefix="modgate-webhook")
        self._thread = threading.Thread(target=self._loop, name="modgate-webhooks", daemon=True)
        self._thread.start()

    def _round(self) -> None:
        while self.service.fan_out():
            pass
        assert self._senders is not None
        while not self._stop.is_set():
            with self._lock:
                if len(self._busy) >= self.concurrency:
                    return
                busy = set(self._busy)
            delivery = self.service.claim(busy)
            if delivery is None:
                return
            with self._lock:
                self._busy[delivery.endpoint_id] = self._senders.submit(self._send, delivery)

    def _send(self, delivery: WebhookDeliveryRow) -> None:
        try:
            self.service.send(delivery)
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
