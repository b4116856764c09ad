"""Upgrading a database from before tenants: what it holds becomes the ``default`` tenant's and
stays readable with the key it had, over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic import command

from modgate.app import create_app
from modgate.db import make_engine, upgrade
from modgate.db.migrate import alembic_config
from modgate.services import Services
from modgate.settings import load_settings
from servers import LiveServer

# The heads before tenants existed.
BEFORE_TENANTS = ("core_0002", "auth_0002", "pipeline_0001", "policy_0001", "review_0001")
KEY_ID, SECRET = "0123456789abcdef", "an-old-secret-of-the-shop-key"
NOW = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'modgate.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    config = alembic_config(url)
    for head in BEFORE_TENANTS:
        command.upgrade(config, head)
    engine = make_engine(url)
    with engine.begin() as connection:
        _fill(connection)
    engine.dispose()
    yield url


def _fill(connection: sa.Connection) -> None:
    """A decided moderation with its media and extras, an API key and a webhook endpoint, as
    the schema before tenants stored them."""
    meta = sa.MetaData()
    meta.reflect(connection)
    media, moderations = meta.tables["media"], meta.tables["moderations"]
    connection.execute(
        media.insert().values(
            id="med_old",
            sha256="a" * 64,
            kind="image",
            format="PNG",
            mime="image/png",
            size_bytes=10,
            width=4,
            height=4,
            blob_key="media/aa/x.png",
            created_at=NOW,
        )
    )
    connection.execute(
        moderations.insert().values(
            id="mod_old",
            media_id="med_old",
            sha256="a" * 64,
            kind="image",
            status="completed",
            client_request_token="order-1",
            context={},
            labels=[],
            content_types=[],
            action="allow",
            final_action="allow",
            created_at=NOW,
            updated_at=NOW,
            decided_at=NOW,
        )
    )
    connection.execute(
        meta.tables["moderation_extras"]
        .insert()
        .values(moderation_id="mod_old", client="shop", client_metadata={"post": 1})
    )
    connection.execute(
        meta.tables["api_keys"]
        .insert()
        .values(
            id=KEY_ID,
            name="shop",
            secret_hash=hashlib.sha256(SECRET.encode()).hexdigest(),
            scopes=["moderations:read", "webhooks:manage", "media:read"],
            created_at=NOW,
        )
    )
    connection.execute(
        meta.tables["webhook_endpoints"]
        .insert()
        .values(
            id="whk_old",
            client="shop",
            url="https://hooks.example/x",
            secret="s" * 32,
            events=["moderation.completed"],
            active=True,
            created_at=NOW,
        )
    )


def test_existing_rows_become_the_default_tenants_and_stay_readable(
    old_database: str, tmp_path: Path
) -> None:
    upgrade(old_database)
    engine = make_engine(old_database)
    with engine.connect() as connection:
        for table in ("moderations", "media", "api_keys", "webhook_endpoints"):
            tenants = connection.execute(sa.text(f"SELECT DISTINCT tenant FROM {table}"))
            assert [row[0] for row in tenants] == ["default"], table
    engine.dispose()
    settings = load_settings(data_dir=tmp_path / "data", database_url=old_database)
    services = Services.build(settings)
    headers = {"Authorization": f"Bearer mgk_{KEY_ID}_{SECRET}"}
    try:
        with (
            LiveServer(create_app(settings, services)) as live,
            httpx.Client(base_url=live.url, headers=headers) as client,
        ):
            moderation = client.get("/v1/moderations/mod_old")
            assert moderation.status_code == 200, moderation.text
            assert moderation.json()["final_action"] == "allow"
            listed = client.get("/v1/moderations").json()["items"]
            assert [m["id"] for m in listed] == ["mod_old"]
            assert client.get("/v1/media/med_old").status_code == 200
            endpoints = client.get("/v1/webhooks").json()["items"]
            assert [e["id"] for e in endpoints] == ["whk_old"]
    finally:
        services.close()
