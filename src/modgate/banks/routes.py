"""HTTP routes of modgate's own bank API (``/v1/banks``, ``/v1/bank-contents``): scope
``banks:read`` to look, ``banks:manage`` to change. Every bank and content belongs to the
caller's tenant; another tenant's is not found (404). HMA's API over the same banks is in
``hma_routes.py``.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from modgate import audit
from modgate.auth.deps import require_scopes, tenant_of
from modgate.banks.exchange import parse_import, to_csv
from modgate.banks.models import DEFAULT_MAX_DISTANCE
from modgate.banks.service import BankService
from modgate.banks.signals import MAX_DISTANCE
from modgate.errors import (
    BankContentNotFoundException,
    BankExistsException,
    BankImportInvalidException,
    BankImportTooLargeException,
    BankNotFoundException,
    InvalidBankNameException,
    InvalidParameterException,
    InvalidSignalException,
    LowQualitySignalException,
    ResourceNotFoundException,
    UnknownSignalTypeException,
)
from modgate.openapi import schemas
from modgate.openapi.responses import MEDIA_INTAKE, errors, link, ok
from modgate.request_limits import read_form

router = APIRouter(prefix="/v1", tags=["banks"])
READ = Depends(require_scopes("banks:read"))
MANAGE = Depends(require_scopes("banks:manage"))
BankName = str  # a name longer than any bank is simply not found
ContentId = Annotated[int, Path(ge=0, le=2**62)]
UPLOAD_FIELDS = 8
_UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "note": {"type": "string", "maxLength": 2000},
                    },
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "One of: media_id, moderation_id, or signal_type with signal.",
                    "properties": {
                        "media_id": {"type": "string", "maxLength": 40},
                        "moderation_id": {"type": "string", "maxLength": 40},
                        "signal_type": {"type": "string", "enum": ["pdq", "vpdq", "video_md5"]},
                        "signal": {"type": "string", "maxLength": 128},
                        "note": {"type": "string", "maxLength": 2000},
                    },
                }
            },
        },
    }
}
_IMPORT_DOC = {
    "requestBody": {
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}


def banks_of(request: Request) -> BankService:
    service: BankService = request.app.state.services.banks
    return service


def actor_of(request: Request) -> str:
    """Who makes the change, as the audit log names actors: the API key, or anonymous."""
    key = getattr(request.state, "api_key", None)
    return audit.key_actor(key.id if key is not None else None)


class BankCreate(BaseModel):
    name: str = Field(max_length=200, description="UPPER_CASE_AND_UNDERSCORES")
    description: str = Field(default="", max_length=2000)
    matching_enabled_ratio: float = Field(default=1.0, ge=0, le=1)
    max_distance: int = Field(default=DEFAULT_MAX_DISTANCE, ge=0, le=MAX_DISTANCE)
    negative: bool = Field(default=False, description="Known-good content: matches suppress.")


class BankUpdate(BaseModel):
    description: str | None = Field(default=None, max_length=2000)
    matching_enabled_ratio: float | None = Field(default=None, ge=0, le=1)
    max_distance: int | None = Field(default=None, ge=0, le=MAX_DISTANCE)
    negative: bool | None = None


class ContentCreate(BaseModel):
    """One of: ``media_id``, ``moderation_id``, or ``signal_type`` with ``signal``."""

    media_id: str | None = Field(default=None, max_length=40)
    moderation_id: str | None = Field(default=None, max_length=40)
    signal_type: str | None = Field(default=None, max_length=16)
    signal: str | None = Field(default=None, max_length=128)
    note: str = Field(default="", max_length=2000)


class ContentUpdate(BaseModel):
    enabled: bool | None = None
    note: str | None = Field(default=None, max_length=2000)


@router.get(
    "/banks",
    summary="The tenant's banks",
    operation_id="listBanks",
    response_model=None,
    responses=ok(200, schemas.Banks),
    dependencies=[READ],
)
def list_banks(request: Request) -> dict[str, Any]:
    return {"items": [b.to_public() for b in banks_of(request).banks(tenant_of(request))]}


@router.post(
    "/banks",
    status_code=201,
    summary="Create a bank",
    operation_id="createBank",
    response_model=None,
    responses={
        **ok(
            201, schemas.Bank, links={"GetBank": link("getBank", bank_name="$response.body#/name")}
        ),
        **errors(InvalidBankNameException, BankExistsException),
    },
    dependencies=[MANAGE],
)
def create_bank(request: Request, body: BankCreate) -> dict[str, Any]:
    bank = banks_of(request).create_bank(
        tenant_of(request),
        body.name,
        matching_enabled_ratio=body.matching_enabled_ratio,
        max_distance=body.max_distance,
        negative=body.negative,
        description=body.description,
        actor=actor_of(request),
    )
    return bank.to_public()


@router.post(
    "/banks/import",
    summary="Import entries (JSON list or CSV: signal_type, signal, bank, note); all or none",
    operation_id="importBankEntries",
    response_model=None,
    responses={
        **ok(200, schemas.BankImported),
        **errors(BankImportInvalidException, BankImportTooLargeException, BankNotFoundException),
    },
    openapi_extra=_IMPORT_DOC,
    dependencies=[MANAGE],
)
async def import_entries(
    request: Request, bank: Annotated[str | None, Query(max_length=64)] = None
) -> dict[str, Any]:
    service = banks_of(request)
    body = await request.body()
    entries = parse_import(body, request.headers.get("content-type", ""))
    added = await run_in_threadpool(
        partial(service.import_entries, default_bank=bank, actor=actor_of(request)),
        tenant_of(request),
        entries,
    )
    return {"imported": added}


@router.get(
    "/banks/{bank_name}",
    summary="One bank",
    operation_id="getBank",
    response_model=None,
    responses={**ok(200, schemas.Bank), **errors(BankNotFoundException)},
    dependencies=[READ],
)
def get_bank(request: Request, bank_name: BankName) -> dict[str, Any]:
    return banks_of(request).bank(tenant_of(request), bank_name).to_public()


@router.patch(
    "/banks/{bank_name}",
    summary="Change a bank's settings",
    operation_id="updateBank",
    response_model=None,
    responses={**ok(200, schemas.Bank), **errors(BankNotFoundException)},
    dependencies=[MANAGE],
)
def update_bank(request: Request, bank_name: BankName, body: BankUpdate) -> dict[str, Any]:
    bank = banks_of(request).update_bank(
        tenant_of(request), bank_name, body.model_dump(exclude_none=True), actor_of(request)
    )
    return bank.to_public()


@router.delete(
    "/banks/{bank_name}",
    status_code=204,
    summary="Delete a bank with its content",
    operation_id="deleteBank",
    response_class=Response,
    responses={204: {"description": "Deleted."}, **errors(BankNotFoundException)},
    dependencies=[MANAGE],
)
def delete_bank(request: Request, bank_name: BankName) -> Response:
    banks_of(request).delete_bank(tenant_of(request), bank_name, actor_of(request))
    return Response(status_code=204)


@router.get(
    "/banks/{bank_name}/contents",
    summary="A bank's contents",
    operation_id="listBankContents",
    response_model=None,
    responses={**ok(200, schemas.BankContentPage), **errors(BankNotFoundException)},
    dependencies=[READ],
)
def list_contents(
    request: Request,
    bank_name: BankName,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> dict[str, Any]:
    page = banks_of(request).contents(tenant_of(request), bank_name, limit, after)
    return {
        "items": [c.to_public() for c in page],
        "next_after": page[-1].id if len(page) == limit else None,
    }


@router.post(
    "/banks/{bank_name}/contents",
    status_code=201,
    summary="Add content: an upload (field `file`), a media or moderation id, or a hash",
    operation_id="addBankContent",
    response_model=None,
    responses={
        **ok(
            201,
            schemas.BankContent,
            links={"GetBankContent": link("getBankContent", content_id="$response.body#/id")},
        ),
        **errors(
            *MEDIA_INTAKE,
            BankNotFoundException,
            ResourceNotFoundException,
            UnknownSignalTypeException,
            InvalidSignalException,
            LowQualitySignalException,
        ),
    },
    openapi_extra=_UPLOAD_DOC,
    dependencies=[MANAGE],
)
async def add_content(request: Request, bank_name: BankName) -> dict[str, Any]:
    service, tenant, actor = banks_of(request), tenant_of(request), actor_of(request)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await read_form(request, max_fields=UPLOAD_FIELDS, max_files=1)
        try:
            file = form.get("file")
            note = form.get("note")
            if not isinstance(file, UploadFile):
                raise InvalidParameterException("Send the media in the multipart field 'file'.")
            content = await run_in_threadpool(
                partial(
                    service.add_upload, note=note if isinstance(note, str) else None, actor=actor
                ),
                tenant,
                bank_name,
                file.file,
            )
        finally:
            await form.close()
        return content.to_public()
    try:
        body = ContentCreate.model_validate_json(await request.body())
    except ValueError as exc:
        raise InvalidParameterException(
            "Send multipart/form-data with a file, or JSON naming media_id, moderation_id, or "
            "signal_type and signal."
        ) from exc
    return await run_in_threadpool(_add_by_reference, service, tenant, bank_name, body, actor)


def _add_by_reference(
    service: BankService, tenant: str, bank: str, body: ContentCreate, actor: str | None
) -> dict[str, Any]:
    given = [body.media_id, body.moderation_id, body.signal or body.signal_type]
    if sum(value is not None for value in given) != 1:
        raise InvalidParameterException(
            "Name exactly one of media_id, moderation_id, or signal_type with signal."
        )
    if body.media_id is not None:
        content = service.add_media(tenant, bank, body.media_id, body.note, actor)
    elif body.moderation_id is not None:
        content = service.add_moderation(tenant, bank, body.moderation_id, body.note, actor)
    else:
        content = service.add_raw(
            tenant, bank, body.signal_type or "", body.signal or "", body.note, actor
        )
    return content.to_public()


@router.get(
    "/banks/{bank_name}/export",
    summary="Every entry of a bank, as JSON or CSV (signal_type, signal, bank, note, enabled)",
    operation_id="exportBank",
    response_model=None,
    responses={
        200: {
            "model": schemas.BankExport,
            "description": "The entries (JSON), or the same as CSV with `format=csv`.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **errors(BankNotFoundException),
    },
    dependencies=[READ],
)
def export_bank(
    request: Request,
    bank_name: BankName,
    format: Literal["json", "csv"] = "json",  # noqa: A002  # the query parameter's name
) -> Response | dict[str, Any]:
    service = banks_of(request)
    rows = service.export(tenant_of(request), bank_name)
    if format == "csv":
        return Response(
            to_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{bank_name}.csv"'},
        )
    return {"entries": rows}


@router.get(
    "/bank-contents/{content_id}",
    summary="One bank content",
    operation_id="getBankContent",
    response_model=None,
    responses={**ok(200, schemas.BankContent), **errors(BankContentNotFoundException)},
    dependencies=[READ],
)
def get_content(request: Request, content_id: ContentId) -> dict[str, Any]:
    return banks_of(request).content(tenant_of(request), content_id).to_public()


@router.patch(
    "/bank-contents/{content_id}",
    summary="Enable or disable a content, or change its note",
    operation_id="updateBankContent",
    response_model=None,
    responses={**ok(200, schemas.BankContent), **errors(BankContentNotFoundException)},
    dependencies=[MANAGE],
)
def update_content(request: Request, content_id: ContentId, body: ContentUpdate) -> dict[str, Any]:
    content = banks_of(request).update_content(
        tenant_of(request), content_id, body.enabled, body.note, actor_of(request)
    )
    return content.to_public()


@router.delete(
    "/bank-contents/{content_id}",
    status_code=204,
    summary="Remove a content from its bank",
    operation_id="deleteBankContent",
    response_class=Response,
    responses={204: {"description": "Removed."}, **errors(BankContentNotFoundException)},
    dependencies=[MANAGE],
)
def delete_content(request: Request, content_id: ContentId) -> Response:
    banks_of(request).remove_content(tenant_of(request), content_id, actor_of(request))
    return Response(status_code=204)
