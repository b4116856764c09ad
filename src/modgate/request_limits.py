"""ASGI middleware at the edge of the HTTP API: request bodies are capped per route while they
arrive, form fields are counted and bounded, and HEAD is answered wherever GET is.

The size limits of intake apply to the file once it is spooled; without a cap on the request
itself, a client that streams a body larger than any accepted upload (chunked, so its size is
not known in advance) would have all of it read and buffered to disk before being refused. Each
request gets the cap of what its route accepts (``BodyCaps``): only the upload routes take a
multipart body as large as the largest video; a JSON moderation carries an image as base64 at
most (video goes as multipart or by blob key); every other body, JSON or form, is small. A
declared ``Content-Length`` over the cap is refused before any of the body is read (so no
``100 Continue`` invites it), and a body that grows past the cap while it streams is refused as
soon as it does: the client gets 413 with the usual JSON error, and the application sees the
request end as if the client had gone, so nothing it started is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from modgate.errors import (
    ImageTooLargeException,
    ModgateError,
    UnsupportedMediaTypeException,
    VideoTooLargeException,
)

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

KIB = 1024
# Room for the other form fields (context, metadata …) beside the media.
FIELDS_ALLOWANCE = 1024 * KIB
# Every body that carries no media: API JSON, console forms, the sign-in form.
SMALL_BODY_BYTES = 64 * KIB
# A form field that is not a file; no console or API field comes near it.
FORM_FIELD_BYTES = 64 * KIB
FORM_FIELDS = 256


class RequestTooLargeException(ModgateError):
    """The request body is larger than this route accepts."""

    http_status = 413
    aws_code = "InvalidParameterException"


class VideoAsBase64Exception(UnsupportedMediaTypeException):
    """Video is accepted as a multipart upload (field 'file') or by blob_key, not as base64."""


def body_cap(max_upload_bytes: int) -> int:
    """Largest multipart upload body: the largest upload, with room for MIME framing and the
    other fields. The exact limits of the media are checked on the file itself."""
    return max_upload_bytes * 3 // 2 + FIELDS_ALLOWANCE


# AWS JSON 1.1: the Rekognition-compatible endpoint, whose errors are shaped as AWS's.
AWS_JSON = "application/x-amz-json-1.1"
# JSON, and AWS JSON 1.1.
JSON_TYPES = frozenset({"application/json", AWS_JSON})
# Bodies a route with a cap of its own (``BodyCaps.json_paths``) takes: JSON, and CSV imports.
DOCUMENT_TYPES = frozenset({"application/json", "text/csv"})


def base64_cap(max_image_bytes: int) -> int:
    """Largest JSON moderation body: the largest image as base64 (4/3 of it, a little more with
    MIME line breaks) and the JSON fields around it."""
    return max_image_bytes * 4 // 3 + max_image_bytes // 38 + SMALL_BODY_BYTES


@dataclass(frozen=True, slots=True)
class BodyCaps:
    """The largest body each kind of request may send.

    ``upload_paths`` take multipart media up to ``multipart_bytes``; ``json_media_paths`` take
    base64 media in JSON up to ``json_media_bytes``; ``json_paths`` name their own cap for a
    JSON body (a batch of items) or a CSV one (a bank import); everything else ``small_bytes``.
    An upload path may name a parameter (``/v1/banks/{bank_name}/contents``), which stands for
    any one segment.
    """

    max_upload_bytes: int
    max_image_bytes: int
    upload_paths: frozenset[str]
    json_media_paths: frozenset[str]
    small_bytes: int = SMALL_BODY_BYTES
    json_paths: Mapping[str, int] = field(default_factory=dict)

    @property
    def multipart_bytes(self) -> int:
        return body_cap(self.max_upload_bytes)

    @property
    def json_media_bytes(self) -> int:
        return base64_cap(self.max_image_bytes)

    def for_request(self, scope: MutableMapping[str, Any]) -> tuple[int, ModgateError]:
        """The cap of this request and the error that refuses a body over it."""
        path, media_type = scope["path"], _media_type(scope)
        if media_type == "multipart/form-data" and any(
            path_matches(path, upload) for upload in self.upload_paths
        ):
            return self.multipart_bytes, VideoTooLargeException(
                f"The request is larger than the largest accepted upload "
                f"({self.max_upload_bytes} bytes) allows."
            )
        if path in self.json_media_paths and media_type == AWS_JSON:
            cap = self.json_media_bytes
            return cap, ImageTooLargeException(
                f"The request is larger than an image of {self.max_image_bytes} bytes as base64."
            )
        if path in self.json_media_paths and media_type in JSON_TYPES:
            cap = self.json_media_bytes
            return cap, RequestTooLargeException(
                f"A JSON body carries an image of at most {self.max_image_bytes} bytes as base64 "
                f"({cap} bytes in all); send video or larger files as multipart/form-data "
                "(field 'file') or by blob_key.",
                limit_bytes=cap,
            )
        cap = self.json_paths.get(path, 0)
        if cap and media_type in DOCUMENT_TYPES:
            return cap, RequestTooLargeException(
                f"The request body is larger than this route accepts ({cap} bytes).",
                limit_bytes=cap,
            )
        return self.small_bytes, RequestTooLargeException(
            f"The request body is larger than this route accepts ({self.small_bytes} bytes).",
            limit_bytes=self.small_bytes,
        )


def path_matches(path: str, template: str) -> bool:
    """Whether ``path`` is ``template``, where a ``{parameter}`` segment matches any one."""
    if "{" not in template:
        return path == template
    parts, wanted = path.split("/"), template.split("/")
    return len(parts) == len(wanted) and all(
        w.startswith("{") or p == w for p, w in zip(parts, wanted, strict=True)
    )


class RequestLimits:
    """Caps request bodies as ``caps`` says and serves HEAD as GET without the body."""

    def __init__(self, app: ASGIApp, caps: BodyCaps) -> None:
        self.app = app
        self.caps = caps

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            # The server sends no body for HEAD; the headers are GET's, as HTTP asks.
            scope = dict(scope, method="GET")
        cap, error = self.caps.for_request(scope)
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _too_large(error, scope, receive, send)
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
                if received > cap:
                    refused = True
                    if not started:
                        await _too_large(error, scope, receive, send)
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
    error: ModgateError, scope: MutableMapping[str, Any], receive: Receive, send: Send
) -> None:
    response = JSONResponse(
        error.to_dict(), status_code=error.http_status, headers={"Connection": "close"}
    )
    if _media_type(scope) == AWS_JSON:
        # An AWS SDK reads the error's name from ``__type`` and ``x-amzn-ErrorType``, and
        # takes every 4xx but throttling as the caller's: Rekognition answers them with 400.
        response = JSONResponse(
            {"__type": error.aws_code, "message": error.message},
            status_code=400,
            media_type=AWS_JSON,
            headers={
                "Connection": "close",
                "x-amzn-ErrorType": error.aws_code,
                "x-amzn-RequestId": str(uuid.uuid4()),
            },
        )
    await response(scope, receive, send)


# What Starlette says when a form passes one of the limits given to ``request.form``.
_FORM_LIMIT_MESSAGES = ("Too many fields", "Too many files", "Field exceeded", "Part exceeded")


async def read_form(
    request: Request,
    *,
    max_fields: int = FORM_FIELDS,
    max_files: int = 0,
    max_part_size: int = FORM_FIELD_BYTES,
) -> FormData:
    """The request's form (multipart or urlencoded), parsed once per request with bounded
    field count, file count and size of a field that is not a file; a form past them is
    refused as ``RequestTooLargeException`` (413) while it is read. Every route reads its form
    through here, so the first reader's limits are the ones that apply."""
    try:
        return await request.form(
            max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
        )
    except StarletteHTTPException as exc:
        detail = str(exc.detail)
        if exc.status_code == 400 and detail.startswith(_FORM_LIMIT_MESSAGES):
            raise RequestTooLargeException(
                f"The form is larger than this route accepts: {detail}",
                max_fields=max_fields,
                max_files=max_files,
                max_field_bytes=max_part_size,
            ) from exc
        raise


def _media_type(scope: MutableMapping[str, Any]) -> str:
    """The media type without parameters, lowercased (media types are case-insensitive)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return str(value.decode("latin-1").split(";", 1)[0].strip().lower())
    return ""


def _content_length(scope: MutableMapping[str, Any]) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before the app sees it
    return None
