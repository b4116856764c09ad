"""Signing webhook bodies, and checking a signature as a receiver would.

Pure (the standard library only), so the typed client (``modgate.client.verify_webhook``) checks
signatures with the code the server signs them with, without importing the server.

``Modgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``. The
timestamp is signed with the body, so a receiver that refuses old timestamps (``verify_signature``
does, after ``tolerance_seconds``) cannot be sent a recorded delivery again later.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Modgate-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Modgate-Signature`` header value for ``body`` sent at ``timestamp``."""
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
