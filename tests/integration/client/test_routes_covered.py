"""Every ``/v1`` route the server has is a method of both clients, named after its operation id
(``getModerationLabels``: ``get_moderation_labels``); a route added without one fails here (add
a builder in ``modgate.client.operations`` and a line in each client). The answer types are
the ones written from the OpenAPI schemas."""

from __future__ import annotations

import inspect
import re

from client_server import Server
from fastapi.routing import iter_route_contexts

from modgate.client import AsyncClient, Client
from modgate.client.operations import ROUTES
from modgate.openapi.client_types import TARGET, render


def _server_routes(app: object) -> dict[str, str]:
    """``METHOD /path`` → the method name its operation id gives."""
    found = {}
    for context in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        path = context.path or ""
        if path.startswith("/v1/") or path == "/healthz":
            name = re.sub(r"(?<!^)([A-Z])", r"_\1", context.operation_id or "?").lower()
            for method in (context.methods or {"GET"}) - {"HEAD"}:
                found[f"{method} {path}"] = name
    return found


def test_every_v1_route_has_a_client_method_named_after_its_operation(server: Server) -> None:
    assert _server_routes(server.app) == ROUTES


def test_the_answer_types_are_the_ones_written_from_the_schemas() -> None:
    assert TARGET.read_text() == render(), "run python -m modgate.openapi.client_types"


def test_each_method_is_on_both_clients_and_async_on_the_async_one() -> None:
    for name in ROUTES.values():
        assert callable(getattr(Client, name)), name
        assert inspect.iscoroutinefunction(getattr(AsyncClient, name)), name
        assert getattr(Client, name).__doc__ == getattr(AsyncClient, name).__doc__
