"""Live stream operations (``/v1/streams``): start, list, read and stop a stream, and fetch a
segment's thumbnail."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import httpx

from modgate.client.operations.call import Call, _bytes, _id, _json, _page, _query, route
from modgate.client.types import Action, ContextValue, Page, Stream, StreamBrief, StreamStatus


@route("POST", "/v1/streams")
def create_stream(
    url: str,
    *,
    context: Mapping[str, ContextValue] | None = None,
    fps: float | None = None,
    external_id: str | None = None,
    terminate_on: list[Action] | None = None,
) -> Call[Stream]:
    """Start moderating the live stream at ``url`` (HLS over http/https, RTMP, RTSP, SRT) at
    ``fps`` samples a second (default 1); a worker takes it up (``status`` ``starting``).
    ``terminate_on``: policy actions that end the stream when the policy asks for them."""
    body = {
        "url": url,
        "context": context,
        "fps": fps,
        "external_id": external_id,
        "terminate_on": terminate_on,
    }
    return Call("POST", "/v1/streams", _json, json={k: v for k, v in body.items() if v is not None})


@route("GET", "/v1/streams")
def list_streams(
    *, limit: int | None = None, cursor: str | None = None, status: StreamStatus | None = None
) -> Call[Page[StreamBrief]]:
    """One page of the tenant's streams, newest first (only those in ``status``)."""
    parse = cast(Callable[[httpx.Response], Any], _page)
    return Call("GET", "/v1/streams", parse, _query(limit=limit, cursor=cursor, status=status))


@route("GET", "/v1/streams/{stream_id}")
def get_stream(stream_id: str) -> Call[Stream]:
    """A stream: its status (and reason), samples so far, open and closed segments."""
    return Call("GET", f"/v1/streams/{_id(stream_id)}", _json)


@route("GET", "/v1/streams/{stream_id}/segments/{segment_id}/thumbnail")
def get_stream_thumbnail(stream_id: str, segment_id: str, *, blurred: bool = True) -> Call[bytes]:
    """The JPEG picture that opened a segment of a stream; ``blurred=False`` needs the scope
    ``media:read_clear`` and is logged."""
    path = f"/v1/streams/{_id(stream_id)}/segments/{_id(segment_id)}/thumbnail"
    return Call("GET", path, _bytes, None if blurred else {"blurred": "false"})


@route("POST", "/v1/streams/{stream_id}/stop")
def stop_stream(stream_id: str) -> Call[Stream]:
    """Stop a stream now; its open segments close and ``stream.ended`` is sent."""
    return Call("POST", f"/v1/streams/{_id(stream_id)}/stop", _json)
