"""The OpenAPI document as the server serves it: FastAPI's, completed.

For every operation: every status it can answer. Its own errors come from the route
(``responses=errors(...)``); to those this adds what every route of its kind can answer, since
the code that answers them sits in front of every route:

- behind an API key (``require_scopes``): 401 ``AuthenticationRequiredException`` (no key, an
  unknown or revoked one; ``ApiKeyAuthentication``) and 403 ``AccessDeniedException`` (a
  scope missing), with the scopes in ``security`` and ``x-required-scopes``;
- with a path parameter: 404 ``NotFound`` (an empty one matches no route);
- with a parameter or a body: 400 ``InvalidParameterException`` (FastAPI's request
  validation, answered as 400, never 422);
- with a body: 413 ``RequestTooLargeException`` (``RequestLimits``);
- every route: 503 ``StoreUnavailableException`` (the database out of reach) and 500
  ``InternalServerError``.

FastAPI's 422 entries and its validation-error schemas are removed: modgate never answers 422.
Examples are real answers (``modgate/openapi/examples.json``, recorded by
``scripts/record_openapi_examples.py``); the test suite checks each against its schema.
The document depends on the routes only, never on settings, so ``modgate openapi`` writes the
same file every server serves (``docs/openapi.json``, compared in the test suite).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from modgate.auth.middleware import declared_scopes
from modgate.errors import (
    AccessDeniedException,
    AuthenticationRequiredException,
    InvalidParameterException,
    StoreUnavailableException,
)
from modgate.openapi.responses import (
    ERROR_SCHEMA,
    INTERNAL_ERROR,
    ErrorSpec,
    codes_by_status,
    codes_of,
    error_response,
    error_schema,
)
from modgate.request_limits import RequestTooLargeException

API_DESCRIPTION = """modgate: self-hosted content moderation for images and video.

**Authentication.** Every `/v1` route takes an API key (`modgate keys create`), as
`Authorization: Bearer mgk_…` or `X-API-Key: mgk_…`; each route names the scopes it needs
(`x-required-scopes`). A key acts for its tenant: another tenant's object is not found (404).

**Errors.** Every error is `{"error": {"code": "…", "message": "…", "details": {…}}}`. The code
is stable (the name of its error class, never reused); each operation lists, per status, the
codes it can answer. Answers with `Retry-After` (429, 503, 507) say when to try again.

**Pages.** Lists answer `{"items": […], "next_cursor": "…"}`; pass `cursor=<next_cursor>` for
the next page, until `next_cursor` is null. Video labels page as Rekognition's
`GetContentModeration` does (`next_token`, `NextToken`).
"""
ROUTER_NOT_FOUND = (404, "NotFound")
BEARER, API_KEY = "bearerAuth", "apiKeyAuth"
SECURITY_SCHEMES = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer mgk_…` (`modgate keys create`).",
    },
    API_KEY: {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The same API key in its own header.",
    },
}
TAGS = [
    {"name": "moderations", "description": "Submit media, read decisions, labels and frames."},
    {"name": "media", "description": "Upload media once, moderate it later by id."},
    {"name": "review", "description": "Appeals and the human review queues."},
    {"name": "webhooks", "description": "Endpoints that hear of decisions, and their deliveries."},
    {"name": "banks", "description": "Hash banks of known content: settings, content, import."},
    {"name": "hma", "description": "Meta's HMA (OpenMediaMatch) API over the same banks."},
    {"name": "metrics", "description": "What the automation and the reviewers did."},
    {"name": "ops", "description": "Health."},
]
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def _validated(operation: dict[str, Any]) -> bool:
    """Whether FastAPI validates something of the request: a body, a query or header
    parameter, or a path parameter that is not just a string."""
    if operation.get("requestBody"):
        return True
    return any(
        parameter["in"] != "path" or parameter.get("schema", {}).get("type") != "string"
        for parameter in operation.get("parameters", ())
    )


def _shared_errors(route: RouteContext, method: str, operation: dict[str, Any]) -> list[ErrorSpec]:
    shared: list[ErrorSpec] = [INTERNAL_ERROR, StoreUnavailableException]
    if declared_scopes(route.dependant):
        shared += [AuthenticationRequiredException, AccessDeniedException]
    if any(parameter["in"] == "path" for parameter in operation.get("parameters", ())):
        # An empty path parameter (…/moderations/) matches no route: the router's 404.
        shared.append(ROUTER_NOT_FOUND)
    if _validated(operation):
        shared.append(InvalidParameterException)
    if method in _BODY_METHODS:
        shared.append(RequestTooLargeException)
    return shared


def _security(route: RouteContext) -> list[dict[str, list[str]]]:
    scopes = sorted(set(declared_scopes(route.dependant)))
    if not scopes:
        return []
    return [{BEARER: scopes}, {API_KEY: scopes}]


def _examples() -> dict[str, dict[str, Any]]:
    """Real answers, recorded by ``scripts/record_openapi_examples.py``."""
    text = resources.files("modgate.openapi").joinpath("examples.json").read_text("utf-8")
    examples: dict[str, dict[str, Any]] = json.loads(text)
    return examples


def _complete(
    route: RouteContext, method: str, operation: dict[str, Any], examples: dict[str, Any]
) -> None:
    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)
    for status, codes in codes_by_status(_shared_errors(route, method, operation)).items():
        key = str(status)
        responses[key] = error_response(status, codes | set(codes_of(responses.get(key, {}))))
    for status, body in examples.get(operation["operationId"], {}).items():
        responses[status]["content"]["application/json"]["example"] = body
    operation["responses"] = dict(sorted(responses.items()))
    security = _security(route)
    operation["security"] = security
    if security:
        operation["x-required-scopes"] = security[0][BEARER]


def build_document(app: FastAPI) -> dict[str, Any]:
    """The finished document of ``app``'s routes."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
    )
    examples = _examples()
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in sorted(route.methods or ()):
            operation = document["paths"][route.path_format][method.lower()]
            _complete(route, method, operation, examples)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    schemas[ERROR_SCHEMA] = error_schema()
    components["schemas"] = dict(sorted(schemas.items()))
    components["securitySchemes"] = SECURITY_SCHEMES
    return document


def install(app: FastAPI) -> None:
    """Serve the finished document at ``/openapi.json`` (built once, on first request)."""
    built: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not built:
            built.update(build_document(app))
        return built

    app.openapi = openapi  # type: ignore[method-assign]


def render(document: dict[str, Any]) -> str:
    """The document as ``docs/openapi.json`` holds it."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
