"""The embedded SQLite database syncs every commit (``synchronous=FULL``) on every connection
the engine opens, so a moderation that was answered as stored survives a power cut."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from modgate.db import make_engine

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


def test_a_new_sqlite_connection_syncs_every_commit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'modgate.db'}")
    try:
        with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                assert connection.execute(text("PRAGMA synchronous")).scalar() == FULL
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()
