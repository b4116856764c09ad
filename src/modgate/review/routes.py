"""HTTP API of the review lane for service clients: appeals (of the caller's tenant's
moderations only) and queue figures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from modgate.auth.deps import require_scopes, tenant_of
from modgate.errors import AlreadyAppealedException, ConflictException, ResourceNotFoundException
from modgate.openapi import schemas
from modgate.openapi.responses import errors, ok

router = APIRouter(tags=["review"])


class AppealCreate(BaseModel):
    statement: str = Field(
        min_length=1,
        max_length=5000,
        description="The user's own words about why the decision is wrong.",
    )
    appellant: str | None = Field(
        default=None, max_length=255, description="Your identifier of the user who appeals."
    )


@router.post(
    "/v1/moderations/{moderation_id}/appeal",
    status_code=201,
    summary="Appeal a moderation's decision; a senior reviewer who took no part decides",
    operation_id="createAppeal",
    response_model=None,
    responses={
        **ok(201, schemas.Appeal),
        **errors(ResourceNotFoundException, ConflictException, AlreadyAppealedException),
    },
    dependencies=[Depends(require_scopes("appeals:write"))],
)
def create_appeal(request: Request, moderation_id: str, body: AppealCreate) -> Any:
    service = request.app.state.services.review
    key = getattr(request.state, "api_key", None)
    appeal = service.appeal(
        moderation_id,
        body.statement,
        body.appellant,
        actor=f"key:{key.id}" if key else None,
        tenant=tenant_of(request),
    )
    return JSONResponse(appeal, status_code=201)


@router.get(
    "/v1/review/queues",
    summary="Depth, oldest age and SLA of every review queue",
    operation_id="listReviewQueues",
    response_model=None,
    responses=ok(200, schemas.Queues),
    dependencies=[Depends(require_scopes("review:read"))],
)
def list_queues(request: Request) -> dict[str, Any]:
    service = request.app.state.services.review
    return {"queues": [stats.to_public() for stats in service.queue_stats()]}
