"""HMA's API (OpenMediaMatch) over modgate's banks, under ``/hma``: the same paths, fields and
JSON as HMA's hashing (``/h``), matching (``/m``) and curation (``/c``) blueprints, so HMA's
clients work against modgate. Scope ``banks:read`` to hash and look up, ``banks:manage`` to
change banks. Errors keep modgate's shape (``{"error": {"code", "message"}}``).

* ``POST /hma/h/hash`` (multipart ``photo`` or ``video``) → ``{"pdq": "<hex>"}`` or, for a
  video, ``{"video_md5": "<hex>"}``.
* ``GET /hma/m/lookup?signal_type=pdq&signal=<hex>`` → ``{"BANK": [{"bank_content_id": 1,
  "distance": "3"}]}``; ``POST /hma/m/lookup`` (multipart) → the same, by signal type.
  ``bypass_coinflip`` and ``seed`` as HMA has them.
* ``GET|POST /hma/c/banks``, ``GET|DELETE /hma/c/bank/<name>``, ``POST
  /hma/c/bank/<name>/content`` (multipart ``photo``/``video``, or ``signal_type`` and
  ``signal``) → ``{"id": <content id>, "signals": {...}}``.
* ``GET /hma/status`` → ``I-AM-ALIVE``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from modgate.auth.deps import tenant_of
from modgate.banks.hashing import Hashed
from modgate.banks.models import Bank
from modgate.banks.routes import MANAGE, READ, BankName, actor_of, banks_of
from modgate.errors import (
    BankExistsException,
    BankNotFoundException,
    InvalidBankNameException,
    InvalidParameterException,
    InvalidSignalException,
    LowQualitySignalException,
    UnknownSignalTypeException,
)
from modgate.openapi import schemas
from modgate.openapi.responses import MEDIA_INTAKE, errors, link, ok
from modgate.request_limits import read_form
from modgate.taxonomy.detections import BankMatch

router = APIRouter(prefix="/hma", tags=["hma"])
MEDIA_FIELDS = ("photo", "video")
_FORM_FIELDS = 8
_MEDIA_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "photo": {"type": "string", "format": "binary"},
                        "video": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}
_CONTENT_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "photo": {"type": "string", "format": "binary"},
                        "video": {"type": "string", "format": "binary"},
                        "signal_type": {"type": "string"},
                        "signal": {"type": "string"},
                        "note": {"type": "string"},
                    },
                }
            }
        },
    }
}


def hma_bank(bank: Bank) -> dict[str, Any]:
    """A bank as HMA's curation API shows it (``enabled_ratio`` beside its full name)."""
    return {
        "name": bank.name,
        "matching_enabled_ratio": bank.matching_enabled_ratio,
        "enabled_ratio": bank.matching_enabled_ratio,
    }


def hma_matches(found: Mapping[str, Sequence[BankMatch]]) -> dict[str, list[dict[str, Any]]]:
    """Lookup results as HMA answers them: by bank, content id and distance (a string)."""
    return {
        bank: [{"bank_content_id": m.content_id, "distance": str(m.distance)} for m in matches]
        for bank, matches in found.items()
    }


async def _hashed_upload(request: Request, mirror: bool = False) -> tuple[Hashed, dict[str, Any]]:
    """The signals of the upload in field ``photo`` or ``video``, and the other fields."""
    form = await read_form(request, max_fields=_FORM_FIELDS, max_files=1)
    try:
        files = [form.get(name) for name in MEDIA_FIELDS]
        uploads = [f for f in files if isinstance(f, UploadFile)]
        if len(uploads) != 1:
            raise InvalidParameterException(
                "Send one file, as multipart/form-data in the field 'photo' or 'video'."
            )
        hashed = await run_in_threadpool(
            partial(banks_of(request).hash_stream, mirror=mirror), uploads[0].file
        )
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
    finally:
        await form.close()
    return hashed, fields


@router.get(
    "/status",
    summary="Liveness (HMA)",
    operation_id="hmaStatus",
    response_class=PlainTextResponse,
    responses={200: {"description": "I-AM-ALIVE", "content": {"text/plain": {}}}},
    dependencies=[READ],
)
def status(request: Request) -> str:
    banks_of(request).index.banks_of(tenant_of(request))
    return "I-AM-ALIVE"


@router.post(
    "/h/hash",
    summary="Hash a photo or video (HMA)",
    operation_id="hmaHash",
    response_model=None,
    responses={**ok(200, schemas.HmaHashes), **errors(*MEDIA_INTAKE)},
    openapi_extra=_MEDIA_DOC,
    dependencies=[READ],
)
async def hash_media(request: Request) -> dict[str, str]:
    hashed, _fields = await _hashed_upload(request)
    return hashed.public()


@router.get(
    "/m/lookup",
    summary="Look a hash up in the banks (HMA)",
    operation_id="hmaLookup",
    response_model=None,
    responses={
        **ok(200, schemas.HmaLookup),
        **errors(UnknownSignalTypeException, InvalidSignalException),
    },
    dependencies=[READ],
)
def lookup_signal(
    request: Request,
    signal_type: Annotated[str, Query(max_length=32)],
    signal: Annotated[str, Query(max_length=128)],
    bypass_coinflip: bool = False,
    seed: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, list[dict[str, Any]]]:
    found = banks_of(request).lookup_raw(
        tenant_of(request), signal_type, signal, bypass_coinflip, seed
    )
    return hma_matches(found)


@router.post(
    "/m/lookup",
    summary="Hash a photo or video and look it up (HMA)",
    operation_id="hmaLookupMedia",
    response_model=None,
    responses={**ok(200, schemas.HmaMediaLookup), **errors(*MEDIA_INTAKE)},
    openapi_extra=_MEDIA_DOC,
    dependencies=[READ],
)
async def lookup_media(
    request: Request,
    bypass_coinflip: bool = False,
    seed: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    hashed, _fields = await _hashed_upload(request, mirror=True)
    service, tenant = banks_of(request), tenant_of(request)
    answer: dict[str, dict[str, list[dict[str, Any]]]] = {}
    # One answer per signal type hashed, as HMA gives; a photo's mirror image counts as its pdq.
    for kind in dict.fromkeys(s.type for s in hashed.signals):
        signals = [s for s in hashed.lookup_signals() if s.type == kind]
        found = await run_in_threadpool(service.lookup, tenant, signals, bypass_coinflip, seed)
        answer[kind] = hma_matches(found)
    return answer


@router.get(
    "/c/banks",
    summary="Every bank (HMA)",
    operation_id="hmaListBanks",
    response_model=None,
    responses=ok(200, schemas.HmaBanks),
    dependencies=[READ],
)
def list_banks(request: Request) -> list[dict[str, Any]]:
    return [hma_bank(bank) for bank in banks_of(request).banks(tenant_of(request))]


class HmaBankCreate(BaseModel):
    name: str = Field(max_length=200)
    enabled_ratio: float | None = Field(default=None, ge=0, le=1)
    enabled: bool | None = None


@router.post(
    "/c/banks",
    status_code=201,
    summary="Create a bank (HMA)",
    operation_id="hmaCreateBank",
    response_model=None,
    responses={
        **ok(
            201,
            schemas.HmaBank,
            links={"HmaGetBank": link("hmaGetBank", bank_name="$response.body#/name")},
        ),
        **errors(InvalidBankNameException, BankExistsException),
    },
    dependencies=[MANAGE],
)
def create_bank(request: Request, body: HmaBankCreate) -> dict[str, Any]:
    ratio = body.enabled_ratio
    if ratio is None:
        ratio = 1.0 if body.enabled is None or body.enabled else 0.0
    bank = banks_of(request).create_bank(
        tenant_of(request), body.name, matching_enabled_ratio=ratio, actor=actor_of(request)
    )
    return hma_bank(bank)


@router.get(
    "/c/bank/{bank_name}",
    summary="One bank (HMA)",
    operation_id="hmaGetBank",
    response_model=None,
    responses={**ok(200, schemas.HmaBank), **errors(BankNotFoundException)},
    dependencies=[READ],
)
def get_bank(request: Request, bank_name: BankName) -> dict[str, Any]:
    return hma_bank(banks_of(request).bank(tenant_of(request), bank_name))


@router.delete(
    "/c/bank/{bank_name}",
    summary="Delete a bank (HMA)",
    operation_id="hmaDeleteBank",
    response_model=None,
    responses={**ok(200, schemas.HmaMessage), **errors(BankNotFoundException)},
    dependencies=[MANAGE],
)
def delete_bank(request: Request, bank_name: BankName) -> dict[str, str]:
    banks_of(request).delete_bank(tenant_of(request), bank_name, actor_of(request))
    return {"message": f"Bank {bank_name} deleted"}


@router.post(
    "/c/bank/{bank_name}/content",
    summary="Add a photo, video or hash to a bank (HMA)",
    operation_id="hmaAddContent",
    response_model=None,
    responses={
        **ok(200, schemas.HmaContentAdded),
        **errors(
            *MEDIA_INTAKE,
            BankNotFoundException,
            UnknownSignalTypeException,
            InvalidSignalException,
            LowQualitySignalException,
        ),
    },
    openapi_extra=_CONTENT_DOC,
    dependencies=[MANAGE],
)
async def add_content(request: Request, bank_name: BankName) -> Response:
    service, tenant, actor = banks_of(request), tenant_of(request), actor_of(request)
    fields: dict[str, Any] = dict(request.query_params)
    media_type = request.headers.get("content-type", "")
    if media_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await read_form(request, max_fields=_FORM_FIELDS, max_files=1)
        uploads = [f for f in (form.get(n) for n in MEDIA_FIELDS) if isinstance(f, UploadFile)]
        fields |= {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            if uploads:
                service.bank(tenant, bank_name)
                hashed = await run_in_threadpool(service.hash_stream, uploads[0].file)
                content = await run_in_threadpool(
                    partial(
                        service.add_signals, source="upload", note=fields.get("note"), actor=actor
                    ),
                    tenant,
                    bank_name,
                    hashed.signals,
                )
                body = {"id": content.id, "signals": hashed.public()}
                return JSONResponse(body)
        finally:
            await form.close()
    signal_type, signal = fields.get("signal_type"), fields.get("signal")
    if not isinstance(signal_type, str) or not isinstance(signal, str):
        raise InvalidParameterException(
            "Send a file in the multipart field 'photo' or 'video', or the fields signal_type "
            "and signal."
        )
    content = await run_in_threadpool(
        partial(service.add_raw, note=fields.get("note"), actor=actor),
        tenant,
        bank_name,
        signal_type,
        signal,
    )
    return JSONResponse({"id": content.id, "signals": {s.type: s.value for s in content.signals}})
