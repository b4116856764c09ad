"""``POST /``: Rekognition's AWS JSON 1.1 endpoint.

The request is checked in AWS's order: the target names an operation this endpoint serves
(``UnknownOperationException``), the SigV4 claims hold (unsigned, unknown key, malformed
header, expired date: checked before the body is read), then the body is read within its cap,
the signature verified over it, and the key's scopes checked (``AccessDeniedException``). Every
answer carries ``x-amzn-RequestId``; errors are ``{"__type": …, "message": …}`` with the
status the SDK expects (400 for the caller's errors, 500 for the server's, 503 for a busy
database, which SDKs retry)."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from modgate.auth import aws
from modgate.auth.deps import aws_signed
from modgate.db.base import utcnow
from modgate.db.errors import unstorable_value
from modgate.errors import (
    AccessDeniedException,
    InvalidParameterException,
    ModgateError,
    StoreUnavailableException,
)
from modgate.rekognition.operations import OPERATIONS, SCOPES, Caller

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
TARGET_PREFIX = "RekognitionService."
CONTENT_TYPE = "application/x-amz-json-1.1"


class UnknownOperationException(ModgateError):
    """The operation is not one this endpoint serves."""

    http_status = 400
    aws_code = "UnknownOperationException"


def _answer(body: dict[str, Any], request_id: str, status: int = 200) -> JSONResponse:
    return JSONResponse(
        body,
        status_code=status,
        media_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id},
    )


def _error(error: ModgateError, request_id: str) -> JSONResponse:
    status = 500 if error.http_status >= 500 else 400
    if isinstance(error, StoreUnavailableException):
        status = 503
    answer = _answer({"__type": error.aws_code, "message": error.message}, request_id, status)
    answer.headers["x-amzn-ErrorType"] = error.aws_code
    return answer


async def _serve(request: Request, request_id: str) -> dict[str, Any]:
    target = request.headers.get("x-amz-target", "")
    operation = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""
    if operation not in OPERATIONS:
        raise UnknownOperationException(f"Unknown operation {target!r}.")
    services = request.app.state.services
    signed = aws.parse(request.headers, utcnow())
    found = await run_in_threadpool(services.auth.aws_key, signed.access_key)
    if found is None:
        raise aws.UnrecognizedClientException()
    key, secret = found
    body = await request.body()
    aws.verify(
        signed,
        secret,
        request.method,
        request.url.path,
        request.url.query,
        request.headers,
        body,
    )
    missing = [scope for scope in SCOPES[operation] if scope not in key.scopes]
    if missing:
        raise AccessDeniedException(
            f"The credentials lack the scope {', '.join(missing)} for {operation}."
        )
    try:
        parsed = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidParameterException("The body is not JSON.") from exc
    if not isinstance(parsed, dict):
        raise InvalidParameterException("The body must be a JSON object.")
    caller = Caller(key, signed.region)
    answer: dict[str, Any] = await run_in_threadpool(
        OPERATIONS[operation], services, caller, parsed
    )
    return answer


@router.post("/", dependencies=[Depends(aws_signed)])
async def rekognition(request: Request) -> JSONResponse:
    request_id = str(uuid.uuid4())
    try:
        return _answer(await _serve(request, request_id), request_id)
    except ModgateError as error:
        return _error(error, request_id)
    except DBAPIError as exc:
        refused = unstorable_value(exc)
        if refused is not None:
            return _error(refused, request_id)
        logger.error("database unavailable: %s", exc.orig or exc)
        return _error(StoreUnavailableException("The database cannot be reached."), request_id)
    except Exception as exc:
        logger.exception("Rekognition call failed", exc_info=exc)
        return _error(ModgateError(), request_id)
