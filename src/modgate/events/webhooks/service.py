"""Webhook endpoints as the API offers them: register (URL checked, events chosen, a secret
made or checked), list, delete, and each endpoint's delivery log; every one limited to the
tenant asking when one is given.

A URL is checked twice at registration: its shape here (what the old check refused, before any
name is resolved), then by the outbound guard, which resolves the host and refuses an internal
address unless ``MODGATE_OUTBOUND_ALLOW`` lists it. The dispatcher checks it again at every
connection, so passing here is never enough to reach an internal address later.

The service also holds what sending needs (store, settings, clock), which ``WebhookDispatcher``
takes from it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import new_id, utcnow
from modgate.errors import InvalidParameterException, WebhookSecretTooShortException
from modgate.events import SUBSCRIBABLE_EVENTS, WEBHOOK_EVENTS
from modgate.events.webhooks.models import Endpoint, WebhookSettings
from modgate.events.webhooks.store import SqlWebhookStore, WebhookStore
from modgate.outbound import OutboundGuard
from modgate.tenants import DEFAULT_TENANT

MIN_SECRET_BYTES = 16
MAX_SECRET_LENGTH = 128  # the column's width
_URL_PROBLEM = "url must be an absolute http:// or https:// URL"


def check_url_shape(url: str) -> None:
    """An absolute http(s) URL that can be requested as given: no credentials (the signing
    secret authenticates modgate), no whitespace or control characters, a valid port. The
    guard checks the host afterwards."""
    try:
        parsed = urlparse(url)
        port = parsed.port  # raises on a port that is not a number in 0-65535
    except ValueError as exc:
        raise InvalidParameterException(f"{_URL_PROBLEM}: {exc}.") from exc
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidParameterException(f"{_URL_PROBLEM}.")
    if any(character.isspace() or not character.isprintable() for character in url):
        raise InvalidParameterException(f"{_URL_PROBLEM}, without spaces or control characters.")
    if port == 0:
        raise InvalidParameterException(f"{_URL_PROBLEM}: port 0 cannot be connected to.")
    if parsed.username is not None or parsed.password is not None:
        raise InvalidParameterException(
            f"{_URL_PROBLEM} without credentials: receivers authenticate modgate by the signature."
        )


def checked_secret(secret: str | None) -> str:
    """The secret deliveries are signed with: the client's, when long enough, else (none or
    empty) a new one of 32 random bytes, 43 characters."""
    if not secret:
        return secrets.token_urlsafe(32)
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise WebhookSecretTooShortException(
            f"secret must be at least {MIN_SECRET_BYTES} bytes; leave it out and one is generated.",
            min_bytes=MIN_SECRET_BYTES,
        )
    if len(secret) > MAX_SECRET_LENGTH:
        raise InvalidParameterException(f"secret must be at most {MAX_SECRET_LENGTH} characters.")
    return secret


def chosen_events(events: list[str] | None) -> list[str]:
    """The events an endpoint subscribes to: those named (each a webhook event), or all."""
    if events is not None and not events:
        raise InvalidParameterException(
            f"Choose at least one event from {list(WEBHOOK_EVENTS)}, or leave events out "
            "for all of them."
        )
    chosen = list(events or WEBHOOK_EVENTS)
    unknown = [e for e in chosen if e not in SUBSCRIBABLE_EVENTS]
    if unknown:
        raise InvalidParameterException(
            f"Unknown events {unknown}; choose from {list(SUBSCRIBABLE_EVENTS)}."
        )
    return chosen


class WebhookService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: WebhookSettings,
        guard: OutboundGuard,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store: WebhookStore = SqlWebhookStore(sessions)
        self.settings = settings
        self.guard = guard
        self.clock = clock

    def register(
        self,
        url: str,
        events: list[str] | None = None,
        client: str | None = None,
        secret: str | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> dict[str, Any]:
        """A new endpoint; the answer is the only time its secret is shown. Raises
        ``InvalidParameterException`` (or a subclass: ``OutboundAddressRefusedException``,
        ``OutboundHostUnresolvedException``, ``WebhookSecretTooShortException``) for what
        cannot be registered."""
        check_url_shape(url)
        chosen = tuple(chosen_events(events))
        signing_secret = checked_secret(secret)
        self.guard.check_url(url)  # last: it resolves the host name
        endpoint = Endpoint(
            id=new_id("whk"),
            url=url,
            events=chosen,
            secret=signing_secret,
            client=client,
            active=True,
            created_at=self.clock(),
            tenant=tenant,
        )
        self.store.add_endpoint(endpoint)
        return endpoint.to_public(with_secret=True)

    def endpoints(self, tenant: str | None = None) -> list[dict[str, Any]]:
        return [endpoint.to_public() for endpoint in self.store.active_endpoints(tenant)]

    def remove(self, endpoint_id: str, tenant: str | None = None) -> None:
        """Deactivate the endpoint; what it has not been sent yet never will be."""
        self.store.deactivate(endpoint_id, tenant)

    def deliveries(
        self,
        endpoint_id: str,
        tenant: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the endpoint's delivery log, newest first, and the cursor of the next."""
        if not 1 <= limit <= 500:
            raise InvalidParameterException("limit must be between 1 and 500.")
        page, next_cursor = self.store.deliveries(endpoint_id, tenant, limit, cursor)
        return [delivery.to_public() for delivery in page], next_cursor
