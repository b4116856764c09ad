"""Webhook operations (``/v1/webhooks``): register, list and delete endpoints, and list an
endpoint's deliveries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import httpx

from modgate.client.operations.call import Call, _id, _json, _none, _page, _query, route
from modgate.client.types import Delivery, Page, WebhookEndpoint, WebhookEndpointCreated


@route("POST", "/v1/webhooks")
def create_webhook(
    url: str, *, events: list[str] | None = None, secret: str | None = None
) -> Call[WebhookEndpointCreated]:
    """Register an endpoint for ``events`` (default: every event). The answer carries its
    ``secret`` (``secret``: yours, at least 16 bytes; default: generated), the only time it is
    shown: keep it for ``verify_webhook``."""
    body = {"url": url, "events": events, "secret": secret}
    return Call(
        "POST", "/v1/webhooks", _json, json={k: v for k, v in body.items() if v is not None}
    )


@route("GET", "/v1/webhooks")
def list_webhooks() -> Call[list[WebhookEndpoint]]:
    """The tenant's registered endpoints (without their secrets)."""
    return Call("GET", "/v1/webhooks", lambda response: response.json()["items"])


@route("DELETE", "/v1/webhooks/{endpoint_id}")
def delete_webhook(endpoint_id: str) -> Call[None]:
    """Delete an endpoint; its pending deliveries end."""
    return Call("DELETE", f"/v1/webhooks/{_id(endpoint_id)}", _none)


@route("GET", "/v1/webhooks/{endpoint_id}/deliveries")
def list_webhook_deliveries(
    endpoint_id: str, *, limit: int | None = None, cursor: str | None = None
) -> Call[Page[Delivery]]:
    """One page of an endpoint's delivery log, newest first."""
    path = f"/v1/webhooks/{_id(endpoint_id)}/deliveries"
    parse = cast(Callable[[httpx.Response], Any], _page)
    return Call("GET", path, parse, _query(limit=limit, cursor=cursor))
