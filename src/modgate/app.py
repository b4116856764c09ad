"""``create_app(settings)``: the FastAPI application, with one translation point for errors.

Every error leaves as ``{"error": {"code": ..., "message": ...}}`` with the status its class
declares and the headers it carries (``Retry-After`` on errors that say when to try again);
request-shape errors become ``InvalidParameterException`` (400); a full disk or quota met
anywhere (``ENOSPC``, ``EDQUOT``: Starlette spooling an upload, say) is
``InsufficientStorageException`` (507); anything unexpected is logged with its traceback and
answered as ``InternalServerError`` (500) without details.

In front of the routes, outermost first: the console's security headers, ``RequestLimits``
(a body cap per route, HEAD as GET) and ``ApiKeyAuthentication`` (API keys checked before any
body is read).
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute, Match

from modgate.audit.routes import router as audit_router
from modgate.auth.deps import public
from modgate.auth.middleware import ApiKeyAuthentication
from modgate.banks.hma_routes import router as hma_router
from modgate.banks.routes import router as banks_router
from modgate.db.errors import unstorable_value
from modgate.errors import InsufficientStorageException, ModgateError, StoreUnavailableException
from modgate.events.webhooks.routes import router as webhooks_router
from modgate.governance.routes import router as governance_router
from modgate.labels.routes import router as labels_router
from modgate.media import MediaLimits
from modgate.media.routes import router as media_router
from modgate.metrics.routes import install_prometheus
from modgate.metrics.routes import router as metrics_router
from modgate.openapi import schemas
from modgate.openapi.responses import ok
from modgate.openapi_document import API_DESCRIPTION, build_document
from modgate.openapi_document import install as install_openapi
from modgate.pipeline.routes import router as pipeline_router
from modgate.rekognition.routes import router as rekognition_router
from modgate.request_limits import BodyCaps, RequestLimits
from modgate.review.routes import router as review_router
from modgate.services import Services
from modgate.settings import Settings, load_settings
from modgate.streams.routes import router as streams_router
from modgate.version import __version__
from modgate.viewer.routes import DECISIONS_BODY_BYTES
from modgate.viewer.routes import router as viewer_router
from modgate.web.audit_pages import router as audit_pages_router
from modgate.web.labels_page import router as labels_page_router
from modgate.web.routes import install_console

logger = logging.getLogger(__name__)

_STATUS_CODES = {
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "RequestTooLarge",
    401: "AuthenticationRequiredException",
    403: "AccessDeniedException",
}
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# The routes that take media in their body: a multipart upload as large as the largest video,
# and (moderations) an image as base64 in JSON. Every other body is small (``RequestLimits``).
UPLOAD_PATHS = frozenset(
    {
        "/v1/moderations",
        "/v1/media",
        "/v1/banks/{bank_name}/contents",
        "/hma/h/hash",
        "/hma/m/lookup",
        "/hma/c/bank/{bank_name}/content",
    }
)
# A bank import: up to ``banks.max_import_entries`` lines of about this many bytes each.
IMPORT_PATH = "/v1/banks/import"
IMPORT_BYTES_PER_ENTRY = 256
JSON_MEDIA_PATHS = frozenset({"/v1/moderations", "/"})
# No room on the disk, or past the user's quota.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT})


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if extra:
        body["details"] = extra
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path: a path can have one route per
    method (GET and POST /v1/moderations), and the router names only the first in its 405.
    Each method is tried against the routes as the router would; HEAD is served wherever GET
    is (``RequestLimits``)."""
    methods = {
        method
        for method in _METHODS
        if any(
            route.matches(dict(request.scope, method=method))[0] == Match.FULL
            for route in request.app.routes
            if isinstance(route, BaseRoute)
        )
    }
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ModgateError)
    async def _modgate(_request: Request, exc: ModgateError) -> JSONResponse:
        if exc.http_status >= 500:
            logger.error("request failed: %s", exc, exc_info=exc)
        return JSONResponse(exc.to_dict(), status_code=exc.http_status, headers=exc.headers)

    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError) -> JSONResponse:
        if exc.errno not in _NO_ROOM:
            return await _unexpected(request, exc)
        logger.error("no room left while serving %s %s: %s", request.method, request.url.path, exc)
        full = InsufficientStorageException(
            f"There is no room left on the server's disk ({os.strerror(exc.errno)}); nothing "
            "was kept. Try again later.",
            reason=errno.errorcode.get(exc.errno, str(exc.errno)),
        )
        return JSONResponse(full.to_dict(), status_code=full.http_status, headers=full.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        return error_response(400, "InvalidParameterException", problems or "Invalid request.")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Headers such as a 405's ``Allow`` are part of the answer.
        code = _STATUS_CODES.get(exc.status_code, "InvalidParameterException")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(exc.status_code, code, str(exc.detail), headers)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _exc: ClientDisconnect) -> JSONResponse:
        # The client closed the connection before its request was read: nothing was kept, and
        # no one is left to answer; not a server error.
        logger.info("client went away during %s %s", request.method, request.url.path)
        return error_response(400, "ClientDisconnected", "The request ended before its body.")

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        refused = unstorable_value(exc)
        if refused is not None:
            logger.warning("the database refused a value: %s", exc.orig or exc)
            return JSONResponse(refused.to_dict(), status_code=refused.http_status)
        if not (exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)):
            return await _unexpected(_request, exc)
        # The database is out of reach (down, restarting, refusing connections, or SQLite
        # locked past its timeout): the request may succeed later, and one that retries with
        # its client_request_token gets the moderation it may already have made.
        logger.error("database unavailable: %s", exc.orig or exc)
        unavailable = StoreUnavailableException("The database cannot be reached; try again.")
        return JSONResponse(unavailable.to_dict(), status_code=503, headers=unavailable.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=exc)
        return error_response(500, "InternalServerError", "An internal error occurred.")


def api_application(lifespan: Any = None) -> FastAPI:
    """The application with the API's routes and error handlers and nothing else: no services,
    no middleware, no console. ``create_app`` builds on it; ``openapi_document`` describes it."""
    # No redirect from a path with a trailing slash: GET /v1/moderations/ (an empty id) is
    # not found, never answered with the list it would be redirected to.
    app = FastAPI(
        title="modgate",
        version=__version__,
        lifespan=lifespan,
        description=API_DESCRIPTION,
        redirect_slashes=False,
    )
    install_error_handlers(app)

    @app.get(
        "/healthz",
        tags=["ops"],
        summary="Liveness and database check",
        operation_id="getHealth",
        response_model=None,
        responses=ok(200, schemas.Health),
        dependencies=[Depends(public)],
    )
    def healthz(request: Request) -> dict[str, Any]:
        with request.app.state.services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    # Routes are matched in order: the busiest (submitting moderations) first.
    app.include_router(pipeline_router)
    app.include_router(webhooks_router)
    app.include_router(media_router)
    app.include_router(governance_router)
    app.include_router(review_router)
    app.include_router(audit_router)
    app.include_router(rekognition_router)
    app.include_router(viewer_router)
    app.include_router(banks_router)
    app.include_router(labels_router)
    app.include_router(hma_router)
    app.include_router(metrics_router)
    app.include_router(streams_router)
    install_openapi(app)
    return app


def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI document, as every server serves it at ``/openapi.json``."""
    return build_document(api_application())


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The API over ``services`` (built for the ``api`` role from ``settings`` when not given;
    settings come from the environment when neither is given). Starts the pipeline now;
    stopping the app stops it, and closes the services it built itself."""
    if settings is None:
        settings = services.settings if services is not None else load_settings()
    built = services or Services.build(settings, role="api")
    pipeline = built.pipeline
    # Detectors load now, so one that cannot load stops the start with its reason.
    pipeline.start()
    built.audit.start()  # signs checkpoints when a signing key is set
    if pipeline.runs_jobs:  # embedded workers hold live streams too
        built.stream_workers.start()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            built.stream_workers.stop()
            pipeline.stop()
            built.audit.stop()
            if services is None:
                built.close()

    app = api_application(lifespan)
    app.state.services = built
    app.state.settings = settings
    limits = MediaLimits.from_settings(settings)
    import_cap = settings.banks.max_import_entries * IMPORT_BYTES_PER_ENTRY
    caps = BodyCaps(
        limits.max_upload_bytes,
        limits.max_image_bytes,
        UPLOAD_PATHS,
        JSON_MEDIA_PATHS,
        json_paths={"/v1/decisions": DECISIONS_BODY_BYTES, IMPORT_PATH: import_cap},
    )
    # Added first, so it runs after ``RequestLimits`` (which turns HEAD into GET).
    app.add_middleware(ApiKeyAuthentication)
    app.add_middleware(RequestLimits, caps=caps)
    install_prometheus(app, settings.metrics)
    install_console(app)
    app.include_router(audit_pages_router)
    app.include_router(labels_page_router)
    return app
