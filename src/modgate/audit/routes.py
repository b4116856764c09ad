"""HTTP API of the audit log for auditors' keys (scope ``audit:read``): the entries of the
caller's tenant, their inclusion proofs, consistency proofs of the whole log, and its latest
signed checkpoint (the C2SP signed note, as written outside the database)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from modgate.audit.service import AuditQuery, AuditService
from modgate.auth.deps import require_scopes, tenant_of
from modgate.errors import ResourceNotFoundException
from modgate.openapi import schemas
from modgate.openapi.params import IsoDateTime
from modgate.openapi.responses import errors, ok

router = APIRouter(prefix="/v1/audit", tags=["audit"])
READ = Depends(require_scopes("audit:read"))
Size = Annotated[int, Query(ge=1, le=2**62)]


def audit_of(request: Request) -> AuditService:
    return request.app.state.services.audit  # type: ignore[no-any-return]


@router.get(
    "",
    summary="Audit entries of the caller's tenant, oldest first, with filters and a cursor",
    operation_id="listAuditEntries",
    response_model=None,
    responses=ok(200, schemas.AuditPage),
    dependencies=[READ],
)
def list_audit_entries(
    request: Request,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    object: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    query = AuditQuery(tenant_of(request), since, until, actor, kind, object)
    entries, next_cursor = audit_of(request).entries(query, cursor, limit)
    return {"items": [e.to_public() for e in entries], "next_cursor": next_cursor}


@router.get(
    "/proofs/inclusion",
    summary="RFC 9162 inclusion proof of one of the caller's entries",
    operation_id="getAuditInclusionProof",
    response_model=None,
    responses={**ok(200, schemas.InclusionProof), **errors(ResourceNotFoundException)},
    dependencies=[READ],
)
def inclusion_proof(
    request: Request,
    seq: Annotated[int, Query(ge=0, le=2**62, description="The entry's sequence number.")],
    tree_size: Annotated[
        int | None, Query(ge=1, le=2**62, description="Default: the log's size.")
    ] = None,
) -> dict[str, Any]:
    return audit_of(request).inclusion(seq, tree_size, tenant_of(request))


@router.get(
    "/proofs/consistency",
    summary="RFC 9162 consistency proof between two sizes of the log",
    operation_id="getAuditConsistencyProof",
    response_model=None,
    responses=ok(200, schemas.ConsistencyProof),
    dependencies=[READ],
)
def consistency_proof(
    request: Request,
    from_size: Size,
    to_size: Annotated[
        int | None, Query(ge=1, le=2**62, description="Default: the log's size.")
    ] = None,
) -> dict[str, Any]:
    return audit_of(request).consistency(from_size, to_size)


@router.get(
    "/checkpoints/latest",
    summary="The latest signed checkpoint (C2SP signed note)",
    operation_id="getLatestAuditCheckpoint",
    response_model=None,
    responses={
        200: {
            "description": "The signed note: origin, tree size, base64 root, signature",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **errors(ResourceNotFoundException),
    },
    dependencies=[READ],
)
def latest_checkpoint(request: Request) -> PlainTextResponse:
    note = audit_of(request).latest_checkpoint()
    if note is None:
        raise ResourceNotFoundException("No checkpoint has been signed yet.")
    return PlainTextResponse(note)
