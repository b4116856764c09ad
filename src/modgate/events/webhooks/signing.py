"""Signing webhook bodies and checking signatures: ``modgate.webhook_signature``, which the
typed client shares, importable without the server's dependencies."""

from __future__ import annotations

from modgate.webhook_signature import SIGNATURE_HEADER, sign, verify_signature

__all__ = ["SIGNATURE_HEADER", "sign", "verify_signature"]
