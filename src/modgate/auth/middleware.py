"""API keys are checked before any of a request's body is read.

FastAPI reads and parses a route's declared body (JSON, form, files) before its dependencies
run, so with the key checked in a dependency alone, anyone could make the server read, parse and
spool a body, and learn from a 400 that it was malformed, without a key. ``ApiKeyAuthentication``
sits in front of the application: for every ``/v1/`` request it finds the key in the headers,
looks it up once (``authenticate``), and checks the scopes the matched route declares
(``require_scopes``) before the application sees the request; a refusal is answered by the
application's own error handlers (401/403, the usual ``{"error": …}`` body), and the body is
never read. The principal found goes in the request's scope, where the routes' dependencies
take it instead of looking the key up again. With ``auth.api_keys_required=false`` a request
without a key passes, as it always did; a key that is sent is still checked. Console routes are
not under ``/v1/`` and keep their cookie sessions.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import BaseRoute, compile_path

from modgate.auth.deps import PRINCIPAL, access_rule, authenticate, authorize, presented_key
from modgate.request_limits import ASGIApp, Receive, Send

API_PREFIX = "/v1/"


def declared_scopes(dependant: Dependant) -> tuple[str, ...]:
    """Every scope that ``require_scopes`` dependencies of ``dependant`` ask for."""
    scopes: list[str] = []
    for sub in dependant.dependencies:
        rule = access_rule(sub.call)
        if rule is not None and rule.kind == "scopes":
            scopes += rule.scopes
        scopes += declared_scopes(sub)
    return tuple(dict.fromkeys(scopes))


@dataclass(frozen=True, slots=True)
class RouteScopes:
    """One API route as the middleware matches it: its path pattern (compiled as Starlette
    compiles it), methods and declared scopes. Matching a compiled pattern costs about a
    microsecond; asking FastAPI's included routers costs a hundred times that."""

    pattern: re.Pattern[str]
    methods: frozenset[str]
    scopes: tuple[str, ...]


def api_route_scopes(routes: Sequence[BaseRoute]) -> tuple[RouteScopes, ...]:
    """The API routes (under ``/v1/``, as included: with their routers' prefixes) and the
    scopes each declares."""
    found = []
    for context in iter_route_contexts(routes):
        dependant = getattr(context, "dependant", None)
        path = context.path or ""
        if path.startswith(API_PREFIX) and isinstance(dependant, Dependant):
            pattern, _format, _convertors = compile_path(path)
            methods = frozenset(context.methods or ())
            found.append(RouteScopes(pattern, methods, declared_scopes(dependant)))
    return tuple(found)


class ApiKeyAuthentication:
    """Checks the API key, and the scopes of the route, of every ``/v1/`` request before the
    application reads its body; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: dict[int, tuple[RouteScopes, ...]] = {}

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        application = scope["app"]
        keys_required = application.state.settings.auth.api_keys_required
        try:
            presented = presented_key(Headers(scope=scope))
            if presented is None and not keys_required:
                principal = authenticate(application.state.services.auth, None, False)
            else:
                principal = await run_in_threadpool(
                    authenticate, application.state.services.auth, presented, keys_required
                )
            authorize(principal, self._scopes(application, scope))
        except Exception as exc:  # noqa: BLE001 - answered by the app's own error handlers
            await self._refuse(application, scope, receive, send, exc)
            return
        scope[PRINCIPAL] = principal
        await self.app(scope, receive, send)

    def _scopes(self, application: Any, scope: MutableMapping[str, Any]) -> tuple[str, ...]:
        """The scopes the route that will serve this request declares (none when no route
        matches fully: the router answers 404 or 405)."""
        routes = self._routes.get(id(application))
        if routes is None:
            routes = self._routes[id(application)] = api_route_scopes(application.routes)
        path, method = scope["path"], scope["method"]
        for route in routes:
            if method in route.methods and route.pattern.match(path):
                return route.scopes
        return ()

    async def _refuse(
        self,
        application: Any,
        scope: MutableMapping[str, Any],
        receive: Receive,
        send: Send,
        exc: Exception,
    ) -> None:
        """Answer ``exc`` as the application's exception handlers would, with nothing of the
        body read; the connection closes, so the unread body is not waited for."""
        for kind in type(exc).__mro__:
            handler = application.exception_handlers.get(kind)
            if handler is not None:
                response = await handler(Request(scope, receive), exc)
                if _has_body(scope):
                    response.headers["Connection"] = "close"
                await response(scope, receive, send)
                return
        raise exc


def _has_body(scope: MutableMapping[str, Any]) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False
