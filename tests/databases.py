"""Databases for tests: a fresh PostgreSQL database, for fixtures of any scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def fresh_postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database on ``postgres_server``, dropped afterwards."""
    name = f"modgate_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = (
        sa.engine.make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    )
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
