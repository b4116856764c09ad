"""Databases for the store contracts: every test gets an empty database with the schema the
migrations build, on SQLite and on PostgreSQL.

Migrating is what costs (seconds on PostgreSQL), so it happens once per run for each database:
a migrated SQLite file is copied for each test, and the one migrated PostgreSQL database is
emptied before each test (every table, children first). ``implementation`` parametrises a
contract over the in-memory double and both databases.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from contract_databases import Database

from modgate.db import import_tables, make_engine, session_factory, upgrade
from modgate.db.base import Base


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def implementation(request: pytest.FixtureRequest) -> str:
    """Which implementation of a store a contract test runs against."""
    return str(request.param)


@pytest.fixture
def database(implementation: str, request: pytest.FixtureRequest) -> Database | None:
    """The empty database of a SQL implementation; None for the in-memory one."""
    if implementation == "memory":
        return None
    found: Database = request.getfixturevalue(f"{implementation}_database")
    return found


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("contracts") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(f"sqlite:///{path}", engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def sqlite_database(migrated_sqlite: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "contract.db"
    shutil.copyfile(migrated_sqlite, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    yield Database("sqlite", url, engine, session_factory(engine))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_postgresql(postgres_server: str) -> Iterator[Database]:
    name = f"modgate_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(url, engine)
        yield Database("postgresql", url, engine, session_factory(engine))
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgresql_database(migrated_postgresql: Database) -> Database:
    """The run's PostgreSQL database, emptied: a few milliseconds, where a new database and
    its migrations take seconds."""
    import_tables()
    with migrated_postgresql.engine.begin() as connection:
        # The audit log's triggers refuse DELETE; replica mode skips them for this emptying.
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return migrated_postgresql
