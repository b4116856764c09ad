"""Shared fixtures: settings in a temporary data folder, databases (SQLite and PostgreSQL),
a live HTTP server, an S3 endpoint (moto's server) on 127.0.0.1."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

from databases import fresh_postgres_database  # noqa: E402
from servers import LiveServer, free_port  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "MODGATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # pragma: no cover - make test starts it
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with fresh_postgres_database(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'modgate.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Settings in a temporary data folder. The pipeline runs the marker test detector (a
    plugin under tests/plugins) so API tests do not pay for loading the real models; tests of
    the real detectors build their own settings. API keys are not required here; the access
    table in tests/integration/auth covers authentication route by route."""
    from modgate.settings import load_settings

    return load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2, "retry_backoff_seconds": 0.1},
        auth={"api_keys_required": False},
    )


@pytest.fixture
def services(settings):  # type: ignore[no-untyped-def]
    from modgate.services import Services

    built = Services.build(settings)
    yield built
    built.close()


@pytest.fixture
def live_server(settings, services):  # type: ignore[no-untyped-def]
    """The real app served over real HTTP on 127.0.0.1."""
    from modgate.app import create_app

    with LiveServer(create_app(settings, services)) as server:
        yield server


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
