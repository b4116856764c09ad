"""The typed Python client of modgate's HTTP API (httpx; blocking and asyncio).

    from modgate.client import Client

    with Client("http://127.0.0.1:8000", api_key) as modgate:
        moderation = modgate.moderate(Path("photo.jpg"), context={"region": "DE"}, wait=True)
        print(moderation["final_action"])

Every ``/v1`` operation is a method of ``Client`` (and a coroutine of ``AsyncClient``); answers
are typed dictionaries (``modgate.client.types``), errors ``ModgateAPIError`` subclasses named
by the server's stable codes (``modgate.client.errors``); 429 and 503 are retried after
``Retry-After``; ``iter_*`` methods walk every page; ``verify_webhook`` checks a delivery's
signature. Importing it loads httpx and nothing of the server. See docs/client.md.
"""

from __future__ import annotations

from modgate.client import errors, types
from modgate.client.aio import AsyncClient
from modgate.client.errors import (
    ModerationTimeoutError,
    ModgateAPIError,
    ModgateClientError,
    WebhookSignatureError,
)
from modgate.client.operations.call import Call
from modgate.client.retry import NO_RETRY, Retry
from modgate.client.sync import Client
from modgate.client.types import Page
from modgate.client.webhooks import verify_webhook

__all__ = [
    "NO_RETRY",
    "AsyncClient",
    "Call",
    "Client",
    "ModerationTimeoutError",
    "ModgateAPIError",
    "ModgateClientError",
    "Page",
    "Retry",
    "WebhookSignatureError",
    "errors",
    "types",
    "verify_webhook",
]
