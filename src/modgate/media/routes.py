"""HTTP routes of media intake: upload, facts, previews. Each acts for the caller's tenant:
another tenant's media is not found (404), and uploading bytes another tenant has stored makes
a new record (201) as for bytes never seen."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from modgate.auth.deps import require_scopes, tenant_of
from modgate.errors import InvalidParameterException, ResourceNotFoundException
from modgate.media.store import MediaRecord

router = APIRouter(prefix="/v1/media", tags=["media"])


def _record(request: Request, media_id: str) -> MediaRecord:
    record = request.app.state.services.media.store.get(media_id, tenant_of(request))
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
    record, created = request.app.state.services.media.ingest_stream(
        file.file, tenant=tenant_of(request)
    )
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
    summary="Reviewer preview (blurred unless blurred=false)",
    dependencies=[Depends(require_scopes("media:read"))],
)
def get_preview(request: Request, media_id: str, blurred: bool = True) -> Response:
    record = _record(request, media_id)
    data = request.app.state.services.media.preview(record, blurred)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
