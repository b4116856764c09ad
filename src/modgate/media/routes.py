"""HTTP routes of media intake: upload, facts, previews. Each acts for the caller's tenant:
another tenant's media is not found (404), and uploading bytes another tenant has stored makes
a new record (201) as for bytes never seen.

A preview is blurred unless asked for with ``blurred=false``, which needs the scope
``media:read_clear`` as well and is logged (``modgate.auth.clear_media``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from modgate.auth.clear_media import log_clear_read, require_clear_scope
from modgate.auth.deps import require_scopes, tenant_of
from modgate.errors import InvalidParameterException, ResourceNotFoundException
from modgate.media.store import MediaRecord
from modgate.openapi import schemas
from modgate.openapi.responses import MEDIA_INTAKE, errors, image, link, ok
from modgate.request_limits import read_form

router = APIRouter(prefix="/v1/media", tags=["media"])
# The form is read by the route (bounded: one file, a few fields), not declared as a parameter,
# which FastAPI would parse with its own limits; this documents it.
_UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
UPLOAD_FIELDS = 8
_MEDIA_LINKS = {
    "GetMedia": link("getMedia", media_id="$response.body#/id"),
    "GetMediaPreview": link("getMediaPreview", media_id="$response.body#/id"),
}


def _record(request: Request, media_id: str) -> MediaRecord:
    record = request.app.state.services.media.store.get(media_id, tenant_of(request))
    if record is None:
        raise ResourceNotFoundException(f"No media {media_id!r}.")
    return record  # type: ignore[no-any-return]


@router.post(
    "",
    status_code=201,
    summary="Upload an image or video (multipart field `file`)",
    openapi_extra=_UPLOAD_DOC,
    operation_id="uploadMedia",
    response_model=None,
    responses={
        **ok(201, schemas.MediaUploaded, "Stored.", links=_MEDIA_LINKS),
        **ok(200, schemas.MediaUploaded, "These bytes were stored before.", links=_MEDIA_LINKS),
        **errors(*MEDIA_INTAKE),
    },
    dependencies=[Depends(require_scopes("media:write"))],
)
async def upload_media(request: Request) -> Any:
    form = await read_form(request, max_fields=UPLOAD_FIELDS, max_files=1)
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise InvalidParameterException(
                "Send the media as multipart/form-data in the field 'file'."
            )
        record, created = await run_in_threadpool(
            partial(request.app.state.services.media.ingest_stream, tenant=tenant_of(request)),
            file.file,
        )
    finally:
        await form.close()
    body = record.to_public() | {"created": created}
    return JSONResponse(body, status_code=201 if created else 200)


@router.get(
    "/{media_id}",
    summary="Facts about stored media",
    operation_id="getMedia",
    response_model=None,
    responses={**ok(200, schemas.Media), **errors(ResourceNotFoundException)},
    dependencies=[Depends(require_scopes("media:read"))],
)
def get_media(request: Request, media_id: str) -> dict[str, Any]:
    return _record(request, media_id).to_public()


@router.get(
    "/{media_id}/preview",
    summary="Reviewer preview (blurred; blurred=false needs media:read_clear and is logged)",
    operation_id="getMediaPreview",
    response_class=Response,
    responses={**image(200, "The preview, as JPEG"), **errors(ResourceNotFoundException)},
    dependencies=[Depends(require_scopes("media:read"))],
)
def get_preview(request: Request, media_id: str, blurred: bool = True) -> Response:
    key = None if blurred else require_clear_scope(request)
    record = _record(request, media_id)
    services = request.app.state.services
    data = services.media.preview(record, blurred)
    if not blurred:
        log_clear_read(services.sessions, key, record.id, "preview")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
