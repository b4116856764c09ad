"""Database plumbing shared by every domain: declarative base, engine, sessions, time.

SQLite is the default (one file under the data directory, WAL journal, foreign keys enforced,
``synchronous=FULL`` so a commit that returned survives a power cut, a busy timeout so concurrent
writers wait instead of failing); PostgreSQL is used when the URL says so. Domains declare their
tables on ``Base`` in their own ``tables.py``; migrations live in ``modgate/db/migrations`` as one
Alembic branch per domain.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import threading
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import JSON, DateTime, Engine, MetaData, Table, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from modgate.errors import InvalidParameterException

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# How long a SQLite writer waits for another to finish before giving up.
SQLITE_BUSY_SECONDS = 30.0

# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType, dt.datetime: UTCDateTime}


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, for statements built once and run with parameters."""
    return cast(Table, model.__table__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_utc(text: str | None, name: str) -> dt.datetime | None:
    """An ISO 8601 time given as text (``name`` says which, in the error), in UTC."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidParameterException(f"{name} {text!r} is not an ISO 8601 date") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def new_id(prefix: str) -> str:
    """A random, URL-safe identifier with a readable type prefix, e.g. ``med_3f…``."""
    return f"{prefix}_{uuid.uuid4().hex}"


def encode_cursor(created_at: dt.datetime, row_id: str) -> str:
    """An opaque keyset cursor for lists ordered newest first by (created_at, id)."""
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    """(created_at, id) of the last row a page showed; a forged cursor is a 400.

    Cursors carry an aware time; a naive one, or one outside the years a UTC time can have,
    was not made here and would fail in the query instead."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, last_id = json.loads(raw)
        created_at = dt.datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise ValueError("naive cursor time")
        return created_at.astimezone(dt.UTC), str(last_id)
    except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
        raise InvalidParameterException("cursor is not valid; use next_cursor as given.") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, start transactions (see ``_sqlite_begin``).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # NORMAL in WAL mode may lose the last commits on a power cut (they are durable once
    # checkpointed); FULL syncs the WAL at each commit, so an accepted moderation, its audit
    # event and its blob (fsynced by the blob store) are kept or lost together.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000:.0f}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Start a SQLite transaction as its execution options ask (``sqlite_begin``)."""
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


class ModgateSession(Session):
    """A session whose explicit transactions (``session.begin()``) take SQLite's write lock up
    front (``BEGIN IMMEDIATE``).

    A deferred transaction that reads and then writes fails at once with "database is locked"
    when another connection is writing: SQLite cannot wait there without risking deadlock.
    Explicit transactions are where modgate writes, so they wait their turn instead; sessions
    that only read begin deferred and never block writers or each other.

    Writers of one process wait their turn on the process's ``WriterQueue`` before asking
    SQLite: SQLite's own wait (``busy_timeout``) sleeps 1, 2, 5, 10 … ms between tries, so with a
    few threads writing at once most of a write transaction's time went to sleeping while the
    lock was free. Other processes' writers are still waited for by ``busy_timeout``.
    """

    def begin(self, nested: bool = False) -> Any:
        transaction = super().begin(nested=nested)
        bind = self.get_bind()
        if not nested and bind.dialect.name == "sqlite":
            queue = writer_queue(cast(Engine, bind))
            held = queue.acquire()
            try:
                self.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            except BaseException:
                if held:
                    queue.release()
                raise
            if held:
                self.info[_QUEUE_HELD] = (transaction, queue)
        return transaction


_QUEUE_HELD = "modgate_writer_queue"


class WriterQueue:
    """The SQLite writers of one process, one at a time, woken the moment the one before them
    commits or rolls back. Re-entrant (a thread's nested write meets SQLite's lock as before);
    a writer that has waited ``timeout`` seconds goes on to SQLite's own wait, so nothing can
    wait here longer than it would have waited there."""

    def __init__(self, timeout: float = SQLITE_BUSY_SECONDS) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()  # a plain lock: a turn may end on another thread
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> bool:
        """Wait for this process's turn to write; whether it was taken (release it then)."""
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return True
        if not self._lock.acquire(timeout=self.timeout):
            return False
        self._owner, self._depth = me, 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()


_WRITER_QUEUES: weakref.WeakKeyDictionary[Engine, WriterQueue] = weakref.WeakKeyDictionary()
_WRITER_QUEUES_LOCK = threading.Lock()


def writer_queue(engine: Engine) -> WriterQueue:
    """The ``WriterQueue`` of a SQLite ``engine`` (one per engine, so per database file in
    this process)."""
    with _WRITER_QUEUES_LOCK:
        queue = _WRITER_QUEUES.get(engine)
        if queue is None:
            queue = _WRITER_QUEUES[engine] = WriterQueue()
        return queue


@event.listens_for(ModgateSession, "after_transaction_end")
def _writer_done(session: Session, transaction: Any) -> None:
    """A write transaction ended (after its COMMIT or ROLLBACK): the next writer's turn."""
    held = session.info.get(_QUEUE_HELD)
    if held is not None and held[0] is transaction:
        del session.info[_QUEUE_HELD]
        held[1].release()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; creates the SQLite file's folder and sets its pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault(
            "connect_args", {"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False}
        )
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, class_=ModgateSession)


@contextmanager
def transaction(factory: sessionmaker[Session], immediate: bool = True) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error.

    On SQLite it holds the write lock from the start (see ``ModgateSession``); ``immediate`` is
    accepted for call sites that want to say so and changes nothing.
    """
    with factory() as session, session.begin():
        yield session
