"""Alembic environment: runs migrations on the connection handed over by ``modgate.db.upgrade``."""

from __future__ import annotations

from alembic import context

from modgate.db.base import Base, make_engine
from modgate.db.migrate import import_tables

import_tables()
target_metadata = Base.metadata
config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as own_connection:
            _configure_and_run(own_connection)
        engine.dispose()
    else:
        _configure_and_run(connection)


def _configure_and_run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
