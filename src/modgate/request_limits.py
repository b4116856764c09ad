"""ASGI middleware at the edge of the HTTP API: request bodies are capped while they arrive,
and HEAD is answered wherever GET is.

The size limits of intake apply to the file once it is spooled; without a cap on the request
itself, a client that streams a body larger than any accepted upload (chunked, so its size is
not known in advance) would have all of it read and buffered to disk before being refused. Here
a declared ``Content-Length`` over the cap is refused before any of the body is read (so no
``100 Continue`` invites it), and a body that grows past the cap while it streams is refused as
soon as it does: the client gets 413 with the usual JSON error, and the application sees the
request end as if the client had gone, so nothing it started is kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.responses import JSONResponse

from modgate.errors import VideoTooLargeException

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

# Room for the other form fields (context, metadata …) beside the media.
FIELDS_ALLOWANCE = 1024 * 1024


def body_cap(max_upload_bytes: int) -> int:
    """Largest request body: the largest upload as base64 (4/3 of it, more with MIME line
    breaks; the JSON form of a moderation) plus room for the other fields. The exact limits of
    the media are checked on the file itself."""
    return max_upload_bytes * 3 // 2 + FIELDS_ALLOWANCE


class RequestLimits:
    """Caps request bodies at ``max_body_bytes`` and serves HEAD as GET without the body."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            # The server sends no body for HEAD; the headers are GET's, as HTTP asks.
            scope = dict(scope, method="GET")
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    refused = True
                    if not started:
                        await self._too_large(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out instead of what the application answers now
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _too_large(
        self, scope: MutableMapping[str, Any], receive: Receive, send: Send
    ) -> None:
        error = VideoTooLargeException(
            f"The request is larger than the largest accepted upload "
            f"({self.max_upload_bytes} bytes) allows."
        )
        response = JSONResponse(
            error.to_dict(), status_code=error.http_status, headers={"Connection": "close"}
        )
        await response(scope, receive, send)


def _content_length(scope: MutableMapping[str, Any]) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before the app sees it
    return None
