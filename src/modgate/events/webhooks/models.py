"""Plain types of webhooks: endpoints, deliveries, the event a delivery carries, the outcome of
one try, and the settings delivery needs. ``to_public()`` is what the API answers.

A delivery's ``last_error`` is a short stable class, never what the receiver answered: the
outbound guard's (``timeout``, ``address_refused``, ``redirect_refused``, ``http_500`` …) or
``endpoint_deleted``. A receiver's body could be an internal service's answer, and the delivery
log would show it to whoever registered the URL. Rows written before this rule may hold
``HTTP 500: <body>`` or an exception's text; ``public_error`` shows them as their class only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from modgate.outbound import ERROR_CLASSES
from modgate.tenants import DEFAULT_TENANT

DeliveryStatus = Literal["pending", "delivered", "failed"]
ENDPOINT_DELETED = "endpoint_deleted"
_LEGACY_ENDPOINT_DELETED = "the endpoint was deleted"
_HTTP_CLASS = re.compile(r"http_[1-5][0-9][0-9]")
_LEGACY_HTTP = re.compile(r"HTTP ([1-5][0-9][0-9])\b")


def public_error(stored: str | None) -> str | None:
    """The error class a delivery log shows for a stored ``last_error``: a known class as it
    is; an older row's ``HTTP 500: <body>`` as ``http_500``, its deleted-endpoint sentence as
    ``endpoint_deleted``, and anything else (an exception's text) as ``request_failed``."""
    if stored is None:
        return None
    if stored in ERROR_CLASSES or stored == ENDPOINT_DELETED or _HTTP_CLASS.fullmatch(stored):
        return stored
    if stored == _LEGACY_ENDPOINT_DELETED:
        return ENDPOINT_DELETED
    legacy = _LEGACY_HTTP.match(stored)
    if legacy is not None:  # modgate never followed redirects: a 3xx was one refused
        return "redirect_refused" if legacy.group(1)[0] == "3" else f"http_{legacy.group(1)}"
    return "request_failed"


class WebhookSettings(Protocol):
    """What delivery needs from the settings (the ``pipeline`` section provides them)."""

    webhook_timeout_seconds: float
    webhook_max_attempts: int
    webhook_backoff_seconds: float


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A receiver URL, the events it wants and the secret deliveries to it are signed with.
    It belongs to ``tenant`` and hears only of that tenant's moderations; ``client`` is the
    name of the API key that registered it (None: registered without a key)."""

    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    client: str | None
    active: bool
    created_at: dt.datetime
    tenant: str = DEFAULT_TENANT

    def to_public(self, with_secret: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "active": self.active,
            "client": self.client,
            "created_at": self.created_at.isoformat(),
        }
        if with_secret:
            body["secret"] = self.secret
        return body


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event to one endpoint; ``attempts`` counts tries started (a claim is a try).
    ``last_status`` is the receiver's last HTTP status, ``last_error`` the last try's error
    class (None once delivered)."""

    id: str
    event_id: int
    endpoint_id: str
    event_name: str
    moderation_id: str | None
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_id": self.event_id,
            "event": self.event_name,
            "moderation_id": self.moderation_id,
            "status": self.status,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": public_error(self.last_error),
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
        }


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event as read back from the log, to be sent."""

    id: int
    name: str
    created_at: dt.datetime
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one try ended. ``status`` is where the delivery now stands: ``pending`` is tried
    again at ``next_attempt_at``. ``status_code`` is the receiver's answer, if it gave one;
    ``error`` the try's error class (never the answer's body)."""

    status: DeliveryStatus
    status_code: int | None
    error: str | None
    next_attempt_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
