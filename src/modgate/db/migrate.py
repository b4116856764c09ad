"""Running the Alembic migrations that ship inside the package (``modgate db upgrade``).

Each domain keeps its own Alembic branch (``branch_labels=("policy",)`` …) whose first revision
``depends_on`` the core one, so domains add tables without merge revisions; upgrading means
upgrading every head.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine

from modgate.db.base import make_engine

# Modules that declare tables on ``Base``; imported so the metadata is complete.
TABLE_MODULES = (
    "modgate.media.tables",
    "modgate.moderation.tables",
    "modgate.detection.tables",
    "modgate.pipeline.tables",
    "modgate.policy.tables",
    "modgate.review.tables",
    "modgate.quality.tables",
    "modgate.audit.tables",
    "modgate.events.tables",
    "modgate.events.webhooks.tables",
    "modgate.auth.tables",
    "modgate.governance.tables",
    "modgate.banks.tables",
    "modgate.streams.tables",
    "modgate.detection.custom.tables",
)


def import_tables() -> None:
    for name in TABLE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("modgate.db") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, engine: Engine | None = None) -> None:
    """Bring the database at ``url`` to the newest schema of every domain."""
    config = alembic_config(url)
    own_engine = engine is None
    engine = engine or make_engine(url)
    try:
        with (
            engine.connect() as connection,
            _foreign_keys_checked_after(connection),
            connection.begin(),
        ):
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    finally:
        if own_engine:
            engine.dispose()


@contextmanager
def _foreign_keys_checked_after(connection: Connection) -> Iterator[None]:
    """On SQLite, migrate with foreign-key enforcement off and check every reference once the
    migrations committed (SQLite's documented way to rebuild a table others refer to); a
    no-op elsewhere."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, where it takes effect
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migrated database has broken references: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())
