"""Webhook endpoints of a tenant and the deliveries of events to them."""

from __future__ import annotations

from pydantic import Field

from modgate.openapi.schemas.base import Open


class WebhookEndpoint(Open):
    id: str = Field(examples=["whk_ca3eefc681b14cc4ad0d50f82d975da2"])
    url: str
    events: list[str]
    active: bool
    client: str | None
    created_at: str


class WebhookEndpointCreated(WebhookEndpoint):
    secret: str = Field(description="Signs every delivery; shown only in this answer.")


class WebhookEndpoints(Open):
    items: list[WebhookEndpoint]


class Delivery(Open):
    id: str
    event_id: int
    event: str
    moderation_id: str | None = Field(description="None for an event about a live stream.")
    status: str = Field(examples=["pending", "delivered", "failed"])
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: str
    delivered_at: str | None


class DeliveryPage(Open):
    items: list[Delivery]
    next_cursor: str | None
