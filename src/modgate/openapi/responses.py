"""What a route declares it answers, for its OpenAPI entry: its successes (``ok``,
``image``) and its errors (``errors``).

Every error leaves as ``{"error": {"code", "message", "details"?}}`` (``modgate.app``). A route
names the errors its own code can raise with ``errors(...)``; ``modgate.openapi.document`` adds
the ones every route of a kind can answer (401/403 behind an API key, 400 for a bad parameter,
413 for a body too large, 503 when the database is out of reach, 500). The document then lists,
per operation and status, the codes possible there as an ``enum`` on ``error.code``, so a
client generated from it knows every answer, and the conformance run fails an answer whose
code the route did not declare.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

from modgate.errors import (
    ArchiveNotAllowedException,
    CorruptMediaException,
    DecompressionBombException,
    EmptyMediaException,
    ImageTooLargeException,
    ImageTooSmallException,
    InsufficientStorageException,
    InvalidImageFormatException,
    ModgateError,
    NoVideoStreamException,
    TruncatedMediaException,
    UnsafeMediaTypeException,
    UnsupportedMediaTypeException,
    VideoDurationUnknownException,
    VideoFrameRateTooHighException,
    VideoResolutionTooHighException,
    VideoTooLargeException,
    VideoTooLongException,
    VideoTooManyFramesException,
)

ERROR_SCHEMA = "Error"
ERROR_REF = f"#/components/schemas/{ERROR_SCHEMA}"

# Errors without a class of their own, answered by the application's error handlers.
INTERNAL_ERROR = (500, "InternalServerError")
CLIENT_DISCONNECTED = (400, "ClientDisconnected")

ErrorSpec = type[ModgateError] | tuple[int, str]

# Everything media intake can refuse: its type, its damage, its size and length, a full disk.
MEDIA_INTAKE: tuple[ErrorSpec, ...] = (
    InvalidImageFormatException,
    UnsupportedMediaTypeException,
    UnsafeMediaTypeException,
    ArchiveNotAllowedException,
    CorruptMediaException,
    TruncatedMediaException,
    NoVideoStreamException,
    EmptyMediaException,
    ImageTooSmallException,
    ImageTooLargeException,
    DecompressionBombException,
    VideoTooLargeException,
    VideoTooLongException,
    VideoResolutionTooHighException,
    VideoFrameRateTooHighException,
    VideoTooManyFramesException,
    VideoDurationUnknownException,
    InsufficientStorageException,
)


def status_and_code(error: ErrorSpec) -> tuple[int, str]:
    if isinstance(error, tuple):
        return error
    return error.http_status, error.__name__


def codes_by_status(errors: Iterable[ErrorSpec]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for error in errors:
        status, code = status_and_code(error)
        found.setdefault(status, set()).add(code)
    return found


def error_response(status: int, codes: Iterable[str]) -> dict[str, Any]:
    """The OpenAPI response object of an error answer with one of ``codes``."""
    listed = sorted(set(codes))
    return {
        "description": f"{HTTPStatus(status).phrase}: {', '.join(listed)}",
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [
                        {"$ref": ERROR_REF},
                        {
                            "type": "object",
                            "properties": {
                                "error": {
                                    "type": "object",
                                    "properties": {"code": {"type": "string", "enum": listed}},
                                }
                            },
                        },
                    ]
                }
            }
        },
    }


def codes_of(response: Mapping[str, Any]) -> list[str]:
    """The codes an error response object (``error_response``) lists; [] for any other."""
    try:
        part = response["content"]["application/json"]["schema"]["allOf"][1]
        return list(part["properties"]["error"]["properties"]["code"]["enum"])
    except (KeyError, IndexError, TypeError):
        return []


def errors(*declared: ErrorSpec) -> dict[int | str, dict[str, Any]]:
    """FastAPI ``responses=`` for the errors a route's own code raises (exact classes: a
    subclass is declared by naming it)."""
    return {
        status: error_response(status, codes)
        for status, codes in sorted(codes_by_status(declared).items())
    }


def error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Stable: the name of the error class, never reused.",
                    },
                    "message": {"type": "string", "description": "For people; may change."},
                    "details": {
                        "type": "object",
                        "description": "Facts about this error (limits, sizes, offsets).",
                    },
                },
            }
        },
        "example": {
            "error": {
                "code": "ResourceNotFoundException",
                "message": "No moderation 'mod_0123456789abcdef0123456789abcdef'.",
            }
        },
    }


def ok(
    status: int,
    model: type[BaseModel],
    description: str | None = None,
    links: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """FastAPI ``responses=`` for a JSON success answer shaped as ``model``; ``links`` name the
    operations a client (and the conformance run) can call next with values from it. Routes
    declare ``response_model=None``: the model documents the answer, it never rebuilds it."""
    response: dict[str, Any] = {
        "model": model,
        "description": description or HTTPStatus(status).phrase,
    }
    if links:
        response["links"] = dict(links)
    return {status: response}


def link(operation_id: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to ``operation_id``, its parameters taken from the answer
    (``"$response.body#/id"``)."""
    return {"operationId": operation_id, "parameters": parameters}


def image(status: int = 200, description: str = "A JPEG image") -> dict[int | str, dict[str, Any]]:
    """FastAPI ``responses=`` for an answer that is a JPEG image."""
    return {
        status: {
            "description": description,
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
