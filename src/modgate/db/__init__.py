"""Database access shared by every domain (SQLAlchemy 2 + Alembic); what PostgreSQL and SQLite
spell differently is in ``modgate.db.dialect``."""

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
from modgate.db.migrate import TABLE_MODULES, current_heads, import_tables, upgrade

__all__ = [
    "TABLE_MODULES",
    "Base",
    "JSONType",
    "UTCDateTime",
    "current_heads",
    "import_tables",
    "make_engine",
    "new_id",
    "session_factory",
    "transaction",
    "upgrade",
    "utcnow",
]
