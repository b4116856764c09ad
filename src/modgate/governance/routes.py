"""HTTP route of erasure requests: ``POST /v1/media/{media_id}/erasure`` (scope
``media:erase``) deletes the media's bytes and the personal fields of its moderations for the
caller's tenant; another tenant's media is not found (404)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from modgate.auth.deps import actor_of, require_scopes, tenant_of
from modgate.errors import ResourceNotFoundException
from modgate.openapi import schemas
from modgate.openapi.responses import errors, ok

router = APIRouter(prefix="/v1/media", tags=["media"])


@router.post(
    "/{media_id}/erasure",
    summary="Erase media: its bytes and personal fields go; the record and decision stay",
    operation_id="eraseMedia",
    response_model=None,
    responses={**ok(200, schemas.MediaErased), **errors(ResourceNotFoundException)},
    dependencies=[Depends(require_scopes("media:erase"))],
)
async def erase_media(request: Request, media_id: str) -> dict[str, Any]:
    retention = request.app.state.services.retention
    erased: dict[str, Any] = await run_in_threadpool(
        lambda: retention.erase(media_id, actor=actor_of(request), tenant=tenant_of(request))
    )
    return erased
