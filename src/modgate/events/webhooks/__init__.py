"""Webhooks: endpoints per API client, signed deliveries, retries with backoff, a delivery log.

Events are read from the event log only after their transaction committed, so a customer is
never told about a decision that could still roll back. Each event fans out into one delivery
row per subscribed endpoint (exactly once: the fan-out is recorded with the deliveries); each
delivery is claimed under a lease, POSTed, and retried with exponential backoff until it gets a
2xx or runs out of tries. Receivers deduplicate by ``Modgate-Event-Id``.

Receiver URLs go through the outbound guard (``modgate.outbound``): refused at registration
when internal unless ``MODGATE_OUTBOUND_ALLOW`` lists them, checked again at every connection,
never redirected. The delivery log keeps a status code and an error class, never a body.

Signature: ``Modgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``;
``verify_signature`` checks one (and the timestamp's age, against replays).

``store`` keeps endpoints and deliveries, ``service`` offers endpoints to the API, ``dispatcher``
sends, ``signing`` signs and verifies, ``routes`` is the ``/v1/webhooks`` API.
"""

from __future__ import annotations

from modgate.events.webhooks.dispatcher import WebhookDispatcher
from modgate.events.webhooks.models import Delivery, Endpoint, WebhookSettings
from modgate.events.webhooks.service import WebhookService
from modgate.events.webhooks.signing import SIGNATURE_HEADER, sign, verify_signature
from modgate.events.webhooks.store import SqlWebhookStore, WebhookStore

__all__ = [
    "SIGNATURE_HEADER",
    "Delivery",
    "Endpoint",
    "SqlWebhookStore",
    "WebhookDispatcher",
    "WebhookService",
    "WebhookSettings",
    "WebhookStore",
    "sign",
    "verify_signature",
]
