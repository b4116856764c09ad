"""HTTP routes of the moderation pipeline: moderations (upload, base64 or blob key) and video
labels like Rekognition's GetContentModeration. Webhook routes: ``modgate.events.webhooks``.
Every route acts for the caller's tenant: another tenant's moderation is not found (404)."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from modgate.auth.clear_media import log_clear_read, require_clear_scope
from modgate.auth.deps import actor_of, require_scopes, tenant_of
from modgate.errors import (
    BlobKeyNotAllowedException,
    IdempotentParameterMismatchException,
    InvalidContextError,
    InvalidParameterException,
    ModgateError,
    ResourceNotFoundException,
)
from modgate.media.models import MediaKind
from modgate.media.previews import thumbnail_bytes
from modgate.media.sniff import sniff
from modgate.openapi import schemas
from modgate.openapi.params import IsoDateTime
from modgate.openapi.responses import MEDIA_INTAKE, TEXT_INTAKE, errors, image, ok
from modgate.pipeline.route_docs import (
    BODY_DOC,
    MODERATION_LINKS,
)
from modgate.pipeline.runtime import Pipeline
from modgate.pipeline.service import CONTEXT_KEYS
from modgate.pipeline.strict_json import json_field, strict_json
from modgate.policy.model import Action
from modgate.request_limits import VideoAsBase64Exception, read_form

router = APIRouter(prefix="/v1", tags=["moderations"])
# Filter values a moderation can have; anything else is refused (400) rather than matching nothing.
ModerationStatus = Literal["queued", "completed", "failed"]

# Form fields of a multipart moderation: the file, context and its keys, and the other fields.
MULTIPART_FIELDS = len(CONTEXT_KEYS) + 10
# A text sent as a file part (or a field): one byte past the largest limit, for intake to refuse.
TEXT_FIELD_READ = 1024 * 1024 + 1
# Enough base64 to sniff the media's type from its first bytes.
_HEAD_CHARS = 8192

READ = Depends(require_scopes("moderations:read"))
WRITE = Depends(require_scopes("moderations:write"))


def pipeline_of(request: Request) -> Pipeline:
    pipeline: Pipeline = request.app.state.services.pipeline
    return pipeline


def client_of(request: Request) -> str | None:
    """The API client (its key's name) making the request; None without API keys."""
    key = getattr(request.state, "api_key", None)
    return key.name if key is not None else None


def refuse_video_as_base64(data_base64: str) -> None:
    """A JSON body carries images only (its size is capped at the largest image): a video, known
    by its first bytes, is refused with ``VideoAsBase64Exception`` before anything is decoded or
    stored. Anything else is left for intake to check, and refuse in its own words."""
    head = "".join(data_base64[:_HEAD_CHARS].split())
    if head[:5].lower() == "data:":
        head = head.partition(",")[2]
    try:
        sniffed = sniff(base64.b64decode(head[: len(head) // 4 * 4]))
    except (ValueError, ModgateError):  # binascii.Error, or characters outside ASCII
        return
    if sniffed.kind == "video":
        raise VideoAsBase64Exception()


def _media_type(request: Request) -> str:
    """The request's media type without parameters, lowercased: media types are
    case-insensitive (``Multipart/Form-Data`` is multipart/form-data)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class MediaSource(BaseModel):
    """Exactly one of these names the media."""

    model_config = ConfigDict(extra="forbid")
    base64: str | None = None
    blob_key: str | None = Field(default=None, min_length=1, max_length=1024)
    media_id: str | None = Field(default=None, min_length=1, max_length=40)


class ModerationFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    context: dict[str, str | int | float | None] = Field(default_factory=dict)
    metadata: dict[str, Any] | None = None
    external_id: str | None = Field(default=None, max_length=255)
    # Any text without leading or trailing white space: a blank token would make unrelated
    # requests "the same request".
    client_request_token: str | None = Field(
        default=None, min_length=1, max_length=128, pattern=r"^\S(.*\S)?$"
    )
    wait: bool = False


class ModerationCreate(ModerationFields):
    media: MediaSource | None = None
    text: str | None = None
    language: str | None = Field(default=None, max_length=35)


def _validated(model: type[ModerationFields], data: Any) -> ModerationFields:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InvalidParameterException(f"Invalid request: {problems}") from exc


@router.post(
    "/moderations",
    status_code=202,
    openapi_extra=BODY_DOC,
    summary="Moderate an image, a video or a text",
    operation_id="createModeration",
    response_model=None,
    responses={
        **ok(
            202,
            schemas.Moderation,
            "Accepted and queued; a video is decided by a worker (poll, or wait for the "
            "webhook). The `Location` header names the moderation. A text's findings are in "
            "`text_findings`.",
            links=MODERATION_LINKS,
        ),
        **ok(201, schemas.Moderation, "Decided within the request (`wait`)."),
        **ok(200, schemas.Moderation, "Made before, with the same `client_request_token`."),
        **errors(
            *MEDIA_INTAKE,
            *TEXT_INTAKE,
            VideoAsBase64Exception,
            InvalidContextError,
            IdempotentParameterMismatchException,
            BlobKeyNotAllowedException,
            ResourceNotFoundException,
        ),
    },
    dependencies=[WRITE],
)
async def create_moderation(request: Request, wait: bool = False) -> JSONResponse:
    pipeline = pipeline_of(request)
    content_type = _media_type(request)
    arguments: dict[str, Any]
    if content_type == "multipart/form-data":
        # Two files are let through to be refused below, in this route's own words; a text
        # field may be as long as the largest text limit, for intake to hold it to the one set.
        form = await read_form(
            request, max_fields=MULTIPART_FIELDS, max_files=3, max_part_size=TEXT_FIELD_READ
        )
        uploads = form.getlist("file")
        text = await _form_text(form.get("text"))
        if len(uploads) > 1 or (uploads and not isinstance(uploads[0], UploadFile)):
            raise InvalidParameterException(
                "Send the media as one file in the multipart field 'file'."
            )
        if not uploads and text is None:
            raise InvalidParameterException(
                "Send the media as one file in the multipart field 'file', or a text in the "
                "field 'text'."
            )
        context = json_field(form.get("context"), "context") or {}
        context.update({key: form[key] for key in CONTEXT_KEYS if form.get(key)})
        fields = _validated(
            ModerationFields,
            {
                "context": context,
                "metadata": json_field(form.get("metadata"), "metadata"),
                "external_id": form.get("external_id") or None,
                "client_request_token": form.get("client_request_token") or None,
                # As in the query: true/false, 1/0, yes/no, on/off; anything else is a 400.
                "wait": form.get("wait") or False,
            },
        )
        language = form.get("language")
        arguments = {
            "text": text,
            "language": language if isinstance(language, str) and language else None,
        }
        if uploads:
            upload = uploads[0]
            assert isinstance(upload, UploadFile)
            arguments["stream"] = upload.file
    elif content_type == "application/json":
        try:
            body = strict_json(await request.body())
        except ValueError as exc:
            raise InvalidParameterException(f"The body is not valid JSON: {exc}.") from exc
        fields = _validated(ModerationCreate, body)
        assert isinstance(fields, ModerationCreate)
        if fields.media is None and fields.text is None:
            raise InvalidParameterException("Give the media to moderate, or a text.")
        arguments = {"text": fields.text, "language": fields.language}
        if fields.media is not None:
            if fields.media.base64 is not None:
                refuse_video_as_base64(fields.media.base64)
            arguments |= {
                "data_base64": fields.media.base64,
                "blob_key": fields.media.blob_key,
                "media_id": fields.media.media_id,
            }
    else:
        raise InvalidParameterException(
            "Send multipart/form-data (field 'file' or 'text') or application/json."
        )
    arguments |= {
        "context": fields.context,
        "metadata": fields.metadata,
        "external_id": fields.external_id,
        "client_request_token": fields.client_request_token,
    }
    wait = wait or fields.wait
    moderation, created = await _in_thread(
        pipeline.moderations.submit,
        client=client_of(request),
        actor=actor_of(request),
        wait=wait,
        tenant=tenant_of(request),
        **arguments,
    )
    if not created:
        status = 200
    elif wait and moderation["status"] in ("completed", "failed"):
        status = 201  # decided within the request
    else:
        status = 202  # accepted; it may already be decided by the time the body was read
    return JSONResponse(
        moderation, status_code=status, headers={"Location": f"/v1/moderations/{moderation['id']}"}
    )


async def _form_text(value: Any) -> str | bytes | None:
    """The multipart field ``text``: a plain field, or a file part (its bytes, checked as
    UTF-8 by intake)."""
    if isinstance(value, UploadFile):
        return await value.read(TEXT_FIELD_READ)
    if isinstance(value, str) and value:
        return value
    return None


async def _in_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(function, *args, **kwargs)


@router.get(
    "/moderations/{moderation_id}",
    summary="A moderation: status, labels, decision",
    operation_id="getModeration",
    response_model=None,
    responses={**ok(200, schemas.Moderation), **errors(ResourceNotFoundException)},
    dependencies=[READ],
)
def get_moderation(request: Request, moderation_id: str) -> dict[str, Any]:
    return pipeline_of(request).moderations.get(moderation_id, tenant_of(request))


@router.get(
    "/moderations",
    summary="Moderations, newest first, with filters and a cursor",
    operation_id="listModerations",
    response_model=None,
    responses=ok(200, schemas.ModerationPage),
    dependencies=[READ],
)
def list_moderations(
    request: Request,
    status: ModerationStatus | None = None,
    action: Action | None = None,
    final_action: Action | None = None,
    surface: str | None = None,
    external_id: str | None = None,
    kind: MediaKind | None = None,
    sha256: str | None = None,
    created_after: IsoDateTime | None = None,
    created_before: IsoDateTime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    filters = {
        "status": status,
        "action": action,
        "final_action": final_action,
        "surface": surface,
        "external_id": external_id,
        "kind": kind,
        "sha256": sha256,
    }
    items, next_cursor = pipeline_of(request).moderations.list(
        filters,
        limit,
        cursor,
        created_after,
        created_before,
        tenant_of(request),
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/moderations/{moderation_id}/labels",
    summary="Video labels, as Rekognition's GetContentModeration",
    operation_id="getModerationLabels",
    response_model=None,
    responses={**ok(200, schemas.VideoLabels), **errors(ResourceNotFoundException)},
    dependencies=[READ],
)
def get_labels(
    request: Request,
    moderation_id: str,
    sort_by: str = "TIMESTAMP",
    aggregate_by: str = "TIMESTAMPS",
    max_results: Annotated[int, Query(ge=1, le=1000)] = 1000,
    next_token: str | None = None,
    min_confidence: Annotated[float, Query(ge=0, le=100)] = 50.0,
) -> dict[str, Any]:
    return pipeline_of(request).moderations.labels(
        moderation_id,
        tenant_of(request),
        sort_by=sort_by,
        aggregate_by=aggregate_by,
        max_results=max_results,
        next_token=next_token,
        min_confidence=min_confidence,
    )


@router.get(
    "/moderations/{moderation_id}/thumbnails/{timestamp_ms}",
    summary="The frame kept at a flagged video timestamp (blurred; blurred=false needs "
    "media:read_clear and is logged)",
    operation_id="getModerationThumbnail",
    response_class=Response,
    responses={**image(200, "The frame, as JPEG"), **errors(ResourceNotFoundException)},
    dependencies=[READ],
)
def get_thumbnail(
    request: Request, moderation_id: str, timestamp_ms: int, blurred: bool = True
) -> Response:
    clear_key = None if blurred else require_clear_scope(request)
    pipeline = pipeline_of(request)
    moderation = pipeline.moderations.get(moderation_id, tenant_of(request))
    key = (moderation.get("thumbnails") or {}).get(str(timestamp_ms))
    if key is None:
        raise ResourceNotFoundException(f"No thumbnail at {timestamp_ms} ms.")
    services = request.app.state.services
    data = thumbnail_bytes(services.blobs, key, blurred)
    if not blurred:
        log_clear_read(
            services.sessions,
            clear_key,
            str(moderation["media"]["id"]),
            "thumbnail",
            moderation_id=moderation_id,
            timestamp_ms=timestamp_ms,
        )
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, no-store"},
    )
