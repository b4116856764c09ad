"""HTTP routes of live streams (``/v1/streams``, scope ``streams:manage``): start, read, list,
stop. A client sees and stops only its tenant's streams (another tenant's is not found). A URL
of an unsupported scheme, or whose host is internal (unless ``MODGATE_OUTBOUND_ALLOW`` lists
it), is refused with a 400 before anything is stored; a tenant at its limit of live streams
gets a 429."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from modgate import audit
from modgate.auth.clear_media import require_clear_scope
from modgate.auth.deps import actor_of, require_scopes, tenant_of
from modgate.errors import (
    ConflictException,
    InvalidContextError,
    InvalidParameterException,
    OutboundAddressRefusedException,
    OutboundHostUnresolvedException,
    ResourceNotFoundException,
    StreamLimitExceededException,
    UnsupportedStreamSourceException,
)
from modgate.media.previews import thumbnail_bytes
from modgate.openapi import schemas
from modgate.openapi.responses import errors, image, link, ok
from modgate.streams.service import StreamService

router = APIRouter(prefix="/v1", tags=["streams"])
STREAMS = Depends(require_scopes("streams:manage"))


def streams_of(request: Request) -> StreamService:
    service: StreamService = request.app.state.services.streams
    return service


class StreamCreate(BaseModel):
    url: str = Field(
        max_length=2048,
        description="HLS (http, https), RTMP (rtmp, rtmps), RTSP (rtsp, rtsps) or SRT (srt).",
    )
    context: dict[str, Any] | None = Field(
        default=None, description="The decision context (surface, region …), as for media."
    )
    fps: float = Field(default=1.0, gt=0, description="Samples a second (plus scene cuts).")
    external_id: str | None = Field(default=None, max_length=255)
    terminate_on: list[Literal["annotate", "review", "block"]] | None = Field(
        default=None,
        description="Policy actions that end the stream when the policy asks for them "
        "(`stream.action` with action `terminate`, then `stream.ended`).",
    )


_LINKS = {
    "GetStream": link("getStream", stream_id="$response.body#/id"),
    "StopStream": link("stopStream", stream_id="$response.body#/id"),
}


@router.post(
    "/streams",
    status_code=201,
    summary="Start moderating a live stream",
    operation_id="createStream",
    response_model=None,
    responses={
        **ok(201, schemas.Stream, links=_LINKS),
        **errors(
            InvalidParameterException,
            InvalidContextError,
            UnsupportedStreamSourceException,
            OutboundAddressRefusedException,
            OutboundHostUnresolvedException,
            StreamLimitExceededException,
        ),
    },
    dependencies=[STREAMS],
)
def create_stream(request: Request, body: StreamCreate) -> dict[str, Any]:
    return streams_of(request).create(
        body.url,
        tenant=tenant_of(request),
        actor=actor_of(request),
        context=body.context,
        fps=body.fps,
        external_id=body.external_id,
        terminate_on=list(body.terminate_on or ()),
    )


@router.get(
    "/streams",
    summary="Streams, newest first",
    operation_id="listStreams",
    response_model=None,
    responses={**ok(200, schemas.StreamPage), **errors(InvalidParameterException)},
    dependencies=[STREAMS],
)
def list_streams(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
    status: Annotated[schemas.StreamStatus | None, Query()] = None,
) -> dict[str, Any]:
    items, next_cursor = streams_of(request).page(tenant_of(request), limit, cursor, status)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/streams/{stream_id}",
    summary="A stream: status, samples so far, open and closed segments",
    operation_id="getStream",
    response_model=None,
    responses={**ok(200, schemas.Stream), **errors(ResourceNotFoundException)},
    dependencies=[STREAMS],
)
def get_stream(request: Request, stream_id: str) -> dict[str, Any]:
    return streams_of(request).get(stream_id, tenant_of(request))


@router.get(
    "/streams/{stream_id}/segments/{segment_id}/thumbnail",
    summary="The picture that opened a segment (blurred; blurred=false needs media:read_clear "
    "and is logged)",
    operation_id="getStreamThumbnail",
    response_class=Response,
    responses={**image(200, "The picture, as JPEG"), **errors(ResourceNotFoundException)},
    dependencies=[STREAMS],
)
def get_stream_thumbnail(
    request: Request, stream_id: str, segment_id: str, blurred: bool = True
) -> Response:
    clear_key = None if blurred else require_clear_scope(request)
    service = streams_of(request)
    tenant = tenant_of(request)
    key = service.thumbnail_key(stream_id, segment_id, tenant)
    data = thumbnail_bytes(request.app.state.services.blobs, key, blurred)
    if not blurred:
        actor = audit.key_actor(clear_key.id if clear_key is not None else None)
        service.log_clear_read(stream_id, segment_id, tenant, actor)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@router.post(
    "/streams/{stream_id}/stop",
    summary="Stop a stream; its open segments close",
    operation_id="stopStream",
    response_model=None,
    responses={
        **ok(200, schemas.Stream),
        **errors(ResourceNotFoundException, ConflictException),
    },
    dependencies=[STREAMS],
)
def stop_stream(request: Request, stream_id: str) -> dict[str, Any]:
    return streams_of(request).stop(stream_id, tenant_of(request), actor=actor_of(request))
