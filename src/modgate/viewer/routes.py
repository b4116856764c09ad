"""HTTP routes of decisions for viewers: one item (``GET /v1/moderations/{id}/decision``) or a
feed page (``POST /v1/decisions``), decided again for the viewer's context from stored
detections. Scope ``moderations:read``; only the caller's tenant's items are found."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from modgate.auth.deps import require_scopes, tenant_of
from modgate.errors import (
    ConflictException,
    InvalidContextError,
    PolicyVersionNotFoundException,
    ResourceNotFoundException,
    TooManyItemsException,
    UnknownSurfaceException,
)
from modgate.openapi import schemas
from modgate.openapi.responses import errors, ok
from modgate.viewer.service import MAX_ITEMS, ViewerDecisions

router = APIRouter(prefix="/v1", tags=["decisions"])
# What a viewer's context and a named policy version can be refused with (a version prefix
# that matches two is a conflict).
CONTEXT_ERRORS = (
    InvalidContextError,
    UnknownSurfaceException,
    PolicyVersionNotFoundException,
    ConflictException,
)
# A batch body: a full page of ids, however spaced, and the context.
DECISIONS_BODY_BYTES = MAX_ITEMS * 256 + 64 * 1024
READ = Depends(require_scopes("moderations:read"))


# The answers are plain JSON values already: both routes send them as they are, without another
# walk through each (``JSONResponse``); the models in ``modgate.openapi.schemas`` document them.


def decisions_of(request: Request) -> ViewerDecisions:
    viewer: ViewerDecisions = request.app.state.services.viewer
    return viewer


class ViewerContextIn(BaseModel):
    """Who views, where and when; every field optional. ``surface`` left out: each item is
    judged on the surface it was uploaded to."""

    model_config = ConfigDict(extra="forbid")
    region: str | None = Field(default=None, max_length=64, examples=["US-UT"])
    audience: str | int | None = Field(default=None, examples=["13-17", "18+", 12])
    local_time: str | None = Field(
        default=None, max_length=64, examples=["21:30", "2026-11-25T21:30:00-07:00"]
    )
    timezone: str | None = Field(default=None, max_length=64, examples=["America/Denver"])
    surface: str | None = Field(default=None, max_length=64, examples=["kids"])
    user_state: str | None = Field(default=None, max_length=64)


class DecisionItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    moderation_id: str = Field(max_length=255)


class DecisionsRequest(BaseModel):
    """A viewer's context and the items of a page (at most 1,000; more are refused with
    ``TooManyItemsException``)."""

    model_config = ConfigDict(extra="forbid")
    context: ViewerContextIn = Field(default_factory=ViewerContextIn)
    # Counted by the service, so too many items get their own error code.
    items: list[DecisionItem] = Field(json_schema_extra={"maxItems": MAX_ITEMS})
    policy_version: str | None = Field(default=None, max_length=64)


@router.get(
    "/moderations/{moderation_id}/decision",
    summary="The decision for one viewer: the item judged again for this region, audience, "
    "surface, local time and user state, from its stored detections",
    operation_id="getViewerDecision",
    response_model=None,
    responses={
        **ok(200, schemas.ViewerDecision),
        **errors(ResourceNotFoundException, *CONTEXT_ERRORS),
    },
    dependencies=[READ],
)
def viewer_decision(
    request: Request,
    moderation_id: str,
    region: str | None = None,
    audience: str | None = None,
    local_time: str | None = None,
    timezone: str | None = None,
    surface: str | None = None,
    user_state: str | None = None,
    policy_version: str | None = None,
) -> JSONResponse:
    context = {
        "region": region,
        "audience": audience,
        "local_time": local_time,
        "timezone": timezone,
        "surface": surface,
        "user_state": user_state,
    }
    decision = decisions_of(request).decide(
        moderation_id, context, tenant_of(request), policy_version
    )
    return JSONResponse(decision.to_dict())


@router.post(
    "/decisions",
    summary="Decisions for one viewer on up to 1,000 items, in the order given (a feed page)",
    operation_id="decideForViewer",
    response_model=None,
    responses={
        **ok(200, schemas.ViewerDecisions),
        **errors(TooManyItemsException, *CONTEXT_ERRORS),
    },
    dependencies=[READ],
)
def viewer_decisions(request: Request, body: DecisionsRequest) -> JSONResponse:
    decided = decisions_of(request).decide_many(
        [item.moderation_id for item in body.items],
        body.context.model_dump(),
        tenant_of(request),
        body.policy_version,
    )
    return JSONResponse({"decisions": [decision.to_dict() for decision in decided]})
