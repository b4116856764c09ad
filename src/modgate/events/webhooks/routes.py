"""HTTP routes of webhook endpoints (``/v1/webhooks``, scope ``webhooks:manage``): register,
list, delete, and each endpoint's delivery log. A client sees and manages only its tenant's
endpoints (another tenant's is not found), which hear only of its tenant's moderations. A URL
whose host is internal is refused (400 ``OutboundAddressRefusedException``); the log shows
each delivery's status code and error class, never what the receiver answered."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from modgate.auth.deps import require_scopes, tenant_of
from modgate.errors import (
    OutboundAddressRefusedException,
    OutboundHostUnresolvedException,
    ResourceNotFoundException,
    WebhookSecretTooShortException,
)
from modgate.events.webhooks.service import WebhookService
from modgate.openapi import schemas
from modgate.openapi.responses import errors, link, ok

router = APIRouter(prefix="/v1", tags=["webhooks"])
WEBHOOKS = Depends(require_scopes("webhooks:manage"))


def webhooks_of(request: Request) -> WebhookService:
    """The process's webhook service (built with the pipeline, whose dispatcher sends)."""
    service: WebhookService = request.app.state.services.webhooks
    return service


def client_of(request: Request) -> str | None:
    """The API client (its key's name) making the request; None without API keys."""
    key = getattr(request.state, "api_key", None)
    return key.name if key is not None else None


class WebhookCreate(BaseModel):
    url: str = Field(max_length=2048)
    events: list[str] | None = Field(default=None, description="Default: every event.")
    secret: str | None = Field(
        default=None,
        description="At least 16 bytes; default: generated. Returned once, in this answer.",
    )


@router.post(
    "/webhooks",
    status_code=201,
    summary="Register an endpoint",
    operation_id="createWebhook",
    response_model=None,
    responses={
        **ok(
            201,
            schemas.WebhookEndpointCreated,
            links={
                "ListWebhookDeliveries": link(
                    "listWebhookDeliveries", endpoint_id="$response.body#/id"
                ),
                "DeleteWebhook": link("deleteWebhook", endpoint_id="$response.body#/id"),
            },
        ),
        **errors(
            OutboundAddressRefusedException,
            OutboundHostUnresolvedException,
            WebhookSecretTooShortException,
        ),
    },
    dependencies=[WEBHOOKS],
)
def create_webhook(request: Request, body: WebhookCreate) -> dict[str, Any]:
    return webhooks_of(request).register(
        body.url, body.events, client_of(request), body.secret, tenant_of(request)
    )


@router.get(
    "/webhooks",
    summary="Registered endpoints",
    operation_id="listWebhooks",
    response_model=None,
    responses=ok(200, schemas.WebhookEndpoints),
    dependencies=[WEBHOOKS],
)
def list_webhooks(request: Request) -> dict[str, Any]:
    return {"items": webhooks_of(request).endpoints(tenant_of(request))}


@router.delete(
    "/webhooks/{endpoint_id}",
    status_code=204,
    summary="Remove an endpoint; its pending deliveries end",
    operation_id="deleteWebhook",
    response_class=Response,
    responses={204: {"description": "Removed."}, **errors(ResourceNotFoundException)},
    dependencies=[WEBHOOKS],
)
def delete_webhook(request: Request, endpoint_id: str) -> Response:
    webhooks_of(request).remove(endpoint_id, tenant_of(request))
    return Response(status_code=204)


@router.get(
    "/webhooks/{endpoint_id}/deliveries",
    summary="Delivery log: status, tries, last status code and error class",
    operation_id="listWebhookDeliveries",
    response_model=None,
    responses={**ok(200, schemas.DeliveryPage), **errors(ResourceNotFoundException)},
    dependencies=[WEBHOOKS],
)
def list_deliveries(
    request: Request,
    endpoint_id: str,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    items, next_cursor = webhooks_of(request).deliveries(
        endpoint_id, tenant_of(request), limit, cursor
    )
    return {"items": items, "next_cursor": next_cursor}
