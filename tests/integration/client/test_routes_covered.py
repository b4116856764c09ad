"""Every ``/v1`` route the server has is a method of both clients; a route added without one
fails here (add a builder in ``modgate.client.operations`` and a line in each client)."""

from __future__ import annotations

import inspect

from client_server import Server
from fastapi.routing import iter_route_contexts

from modgate.client import AsyncClient, Client
from modgate.client.operations import ROUTES


def _server_routes(app: object) -> set[str]:
    found = set()
    for context in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        path = context.path or ""
        if path.startswith("/v1/") or path == "/healthz":
            for method in (context.methods or {"GET"}) - {"HEAD"}:
                found.add(f"{method} {path}")
    return found


def test_every_v1_route_has_a_client_method(server: Server) -> None:
    assert set(ROUTES) == _server_routes(server.app)


def test_each_method_is_on_both_clients_and_async_on_the_async_one() -> None:
    for name in ROUTES.values():
        assert callable(getattr(Client, name)), name
        assert inspect.iscoroutinefunction(getattr(AsyncClient, name)), name
        assert getattr(Client, name).__doc__ == getattr(AsyncClient, name).__doc__
