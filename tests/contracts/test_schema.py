"""The SQL stores run on the schema the migrations build: exactly the tables, columns, types and
indexes the code declares, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from modgate.db import import_tables
from modgate.db.base import Base


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_migrations_build_the_declared_schema(
    kind: str, request: pytest.FixtureRequest
) -> None:
    database = request.getfixturevalue(f"{kind}_database")
    import_tables()
    assert {"moderations", "moderation_extras", "jobs", "webhook_deliveries"} <= set(
        Base.metadata.tables
    )
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        assert compare_metadata(context, Base.metadata) == []
