"""Database access shared by every domain (SQLAlchemy 2 + Alembic)."""

from modgate.db.base import (
    Base,
    JSONType,
    UTCDateTime,
    make_engine,
    new_id,
    session_factory,
    transaction,
    utcnow,
)
from modgate.db.migrate import TABLE_MODULES, current_heads, import_tables, open_database, upgrade

__all__ = [
    "TABLE_MODULES",
    "Base",
    "JSONType",
    "UTCDateTime",
    "current_heads",
    "import_tables",
    "make_engine",
    "new_id",
    "open_database",
    "session_factory",
    "transaction",
    "upgrade",
    "utcnow",
]
