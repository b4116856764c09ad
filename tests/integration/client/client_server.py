"""A live modgate for the typed client's tests: API keys required (tenant ``acme``), the marker
detector, SQLite, webhook receivers on loopback allowed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from modgate.app import create_app
from modgate.auth.models import SCOPES
from modgate.services import Services
from modgate.settings import load_settings
from servers import LiveServer


@dataclass
class Server:
    url: str
    key: str  # every scope, tenant acme
    services: Any
    app: Any

    def key_with(self, *scopes: str) -> str:
        made = self.services.auth.create_key("limited", scopes, "acme", actor="cli:tests@localhost")
        return str(made[0])


def serve(tmp: Any, **pipeline: Any) -> Iterator[Server]:
    settings = load_settings(
        data_dir=tmp / "data",
        detection={"enabled": ["marker"]},
        pipeline={"poll_seconds": 0.1, "webhook_backoff_seconds": 0.2, **pipeline},
        outbound_allow="127.0.0.1/32",  # the tests' webhook receivers
    )
    services = Services.build(settings)
    key = services.auth.create_key("client-tests", SCOPES, "acme", actor="cli:tests@localhost")[0]
    try:
        app = create_app(settings, services)
        with LiveServer(app) as live:
            yield Server(live.url, key, services, app)
    finally:
        services.close()
