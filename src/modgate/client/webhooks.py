"""Checking a webhook delivery as a receiver: ``verify_webhook(headers, body, secret)``, with the
server's own signature code (``modgate.webhook_signature``)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import cast

from modgate.client.errors import WebhookSignatureError
from modgate.client.types import WebhookEvent
from modgate.webhook_signature import SIGNATURE_HEADER, verify_signature


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str,
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> WebhookEvent:
    """The event a delivery carries, once its ``Modgate-Signature`` header (looked up in any
    case) proves ``body`` was signed with ``secret`` at most ``tolerance_seconds`` ago. Pass the
    body exactly as received, before any JSON parsing. Raises ``WebhookSignatureError``.
    Deduplicate by the event's ``id`` (also the ``Modgate-Event-Id`` header): a delivery can
    come more than once."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    wanted = SIGNATURE_HEADER.lower()
    header = next((value for name, value in headers.items() if name.lower() == wanted), None)
    if header is None:
        raise WebhookSignatureError(f"The delivery has no {SIGNATURE_HEADER} header.")
    moment = time.time() if now is None else now
    if not verify_signature(secret, header, raw, moment, tolerance_seconds):
        raise WebhookSignatureError(
            f"The {SIGNATURE_HEADER} header does not sign this body with this secret, "
            f"or is older than {tolerance_seconds} s."
        )
    try:
        return cast(WebhookEvent, json.loads(raw))
    except ValueError as exc:  # signed, so sent by someone with the secret: still refused
        raise WebhookSignatureError("The signed body is not JSON.") from exc
