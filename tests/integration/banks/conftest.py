"""A live server with hash banks, on SQLite and on PostgreSQL (one per module and database),
and two tenants' API keys. The media the bank tests hash are made by ``tests/bank_media.py``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from banked import Banked
from modgate.app import create_app
from modgate.auth.models import SCOPES
from modgate.services import Services
from modgate.settings import load_settings
from servers import LiveServer


def _module_database(request: pytest.FixtureRequest, tmp: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp / 'modgate.db'}"
        return
    admin_url = request.getfixturevalue("postgres_server")
    name = f"modgate_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def banked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Banked]:
    tmp = tmp_path_factory.mktemp("banks")
    for url in _module_database(request, tmp):
        settings = load_settings(
            data_dir=tmp / "data",
            database_url=url,
            detection={"enabled": ["marker"]},
            pipeline={"workers": 1, "poll_seconds": 0.1},
            banks={"max_import_entries": 50, "skip_detection_distance": 0},
        )
        services = Services.build(settings)
        actor = "cli:tests@localhost"
        key_a = services.auth.create_key("curator", SCOPES, "acme", actor=actor)[0]
        key_b = services.auth.create_key("curator", SCOPES, "globex", actor=actor)[0]
        with LiveServer(create_app(settings, services)) as live:
            headers_a = {"Authorization": f"Bearer {key_a}"}
            headers_b = {"Authorization": f"Bearer {key_b}"}
            with (
                httpx.Client(base_url=live.url, headers=headers_a, timeout=60) as a,
                httpx.Client(base_url=live.url, headers=headers_b, timeout=60) as b,
            ):
                yield Banked(live.url, a, b, services, key_a)
        services.close()
