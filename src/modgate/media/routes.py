"""HTTP routes of media intake: upload, facts, previews.

A preview is blurred unless asked for with ``blurred=false``, which needs the scope
``media:read_clear`` as well and is logged (``modgate.media.clear_reads``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from modgate.auth.deps import require_scopes
from modgate.errors import InvalidParameterException, ResourceNotFoundException
from modgate.media.clear_reads import log_clear_read, require_clear_scope
from modgate.media.store import MediaRecord

router = APIRouter(prefix="/v1/media", tags=["media"])


def _record(request: Request, media_id: str) -> MediaRecord:
    record = request.app.state.services.media.store.get(media_id)
    if record is None:
        raise ResourceNotFoundException(f"No media {media_id!r}.")
    return record  # type: ignore[no-any-return]


@router.post(
    "",
    status_code=201,
    summary="Upload an image or video (multipart field `file`)",
    dependencies=[Depends(require_scopes("media:write"))],
)
def upload_media(request: Request, file: Annotated[UploadFile | None, File()] = None) -> Any:
    if file is None:
        raise InvalidParameterException(
            "Send the media as multipart/form-data in the field 'file'."
        )
    record, created = request.app.state.services.media.ingest_stream(file.file)
    body = record.to_public() | {"created": created}
    return JSONResponse(body, status_code=201 if created else 200)


@router.get(
    "/{media_id}",
    summary="Facts about stored media",
    dependencies=[Depends(require_scopes("media:read"))],
)
def get_media(request: Request, media_id: str) -> dict[str, Any]:
    return _record(request, media_id).to_public()


@router.get(
    "/{media_id}/preview",
    summary="Reviewer preview (blurred; blurred=false needs media:read_clear and is logged)",
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
