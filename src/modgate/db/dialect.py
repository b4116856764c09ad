"""The few statements PostgreSQL and SQLite spell differently, so stores never ask which
database they run on.

* **Insert-or-ignore** (``insert_or_ignore``): ``INSERT … ON CONFLICT DO NOTHING``, optionally
  ``RETURNING`` columns of the inserted row. Both databases support it, but SQLAlchemy builds it
  from each dialect's own ``insert``. No row comes back when a conflicting row was already
  there (another upload of the same bytes, the same detections stored by another worker).
* **Claiming a row** (``claim_update``, ``claim_one``, ``skip_locked``): one worker takes one
  free row and no other worker gets it. PostgreSQL picks the row with ``FOR UPDATE SKIP
  LOCKED``, so concurrent claimers pass each other instead of queueing; SQLite has one writer
  at a time, and a claim runs in a ``BEGIN IMMEDIATE`` transaction (``db.base.ModgateSession``)
  as ``UPDATE … RETURNING``, so nobody writes between the pick and the take.
  ``lease_claim`` builds the claim of a row held under a lease (streams, training jobs).
* **Row locks** (``for_update``): ``SELECT … FOR UPDATE`` on PostgreSQL; nothing on SQLite,
  whose write transaction already keeps every other writer out (and which has no FOR UPDATE).

Statements that run for every item are built once per dialect (``PerDialect``) and run with
their values as parameters, so SQLAlchemy compiles each of them once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Row,
    ScalarSelect,
    Select,
    Table,
    Update,
    bindparam,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql.selectable import GenerativeSelect

from modgate.db.base import UTCDateTime, transaction
from modgate.errors import SettingsError

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
_INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    POSTGRESQL: postgresql.insert,
    SQLITE: sqlite.insert,
}

Bind = Session | Connection | Engine | str
"""A session, connection or engine (its database's dialect is used), or a dialect's name."""

StatementT = TypeVar("StatementT")
SelectT = TypeVar("SelectT", bound=GenerativeSelect)
LockOf = FromClause | type[Any] | None
"""Whose rows a ``FOR UPDATE`` locks: a table or mapped class (None: every table read)."""


def dialect_of(bind: Bind) -> str:
    """The dialect name of ``bind``: ``"postgresql"`` or ``"sqlite"``."""
    if isinstance(bind, str):
        return bind
    if isinstance(bind, Session):
        return bind.get_bind().dialect.name
    return bind.dialect.name


class PerDialect(Generic[StatementT]):
    """A statement built by ``build(dialect_name)`` on first use for each dialect, then reused:
    calling it with a session (or connection, engine, dialect name) gives the statement for that
    database."""

    __slots__ = ("_build", "_built")

    def __init__(self, build: Callable[[str], StatementT]) -> None:
        self._build = build
        self._built: dict[str, StatementT] = {}

    def __call__(self, bind: Bind) -> StatementT:
        name = dialect_of(bind)
        found = self._built.get(name)
        if found is None:  # two threads may both build it once; either result is the same
            found = self._built.setdefault(name, self._build(name))
        return found


def insert_or_ignore(table: Table, *returning: ColumnElement[Any]) -> PerDialect[Insert]:
    """``INSERT INTO table … ON CONFLICT DO NOTHING``, ``RETURNING`` the columns given (if any).

    Run with the row's values as parameters; a result row comes back only when the row was
    inserted, so ``.first() is None`` means a conflicting row was there first and was kept.
    """

    def build(dialect: str) -> Insert:
        try:
            insert = _INSERTS[dialect]
        except KeyError:
            raise SettingsError(
                f"modgate runs on PostgreSQL or SQLite, not {dialect}; fix MODGATE_DATABASE_URL"
            ) from None
        statement = insert(table).on_conflict_do_nothing()
        return statement.returning(*returning) if returning else statement

    return PerDialect(build)


def skip_locked(query: SelectT, bind: Bind, of: LockOf = None) -> SelectT:
    """``query`` for claiming: on PostgreSQL it locks the rows it picks and skips rows another
    transaction has locked (``FOR UPDATE SKIP LOCKED``; ``of``: lock only that table's rows).
    On SQLite it is unchanged: run it in a write transaction (``transaction()`` begins
    ``IMMEDIATE``), and no other writer can come between the pick and the update."""
    if dialect_of(bind) == POSTGRESQL:
        return query.with_for_update(skip_locked=True, of=of)
    return query


def for_update(query: SelectT, bind: Bind, of: LockOf = None) -> SelectT:
    """``query`` locking the rows it reads until the transaction ends (``FOR UPDATE``) on
    PostgreSQL, so two transactions deciding on the same row take turns. Unchanged on SQLite,
    where a write transaction already keeps every other writer out."""
    if dialect_of(bind) == POSTGRESQL:
        return query.with_for_update(of=of)
    return query


def claim_update(
    pick: Select[Any], take: Callable[[ScalarSelect[Any]], Update]
) -> PerDialect[Update]:
    """One statement that picks a row and takes it, built once per dialect.

    ``pick`` selects the key of the row to claim (ordered, ``LIMIT 1``); ``take(chosen)`` is
    the ``UPDATE … WHERE key = chosen … RETURNING …`` that marks it taken. On PostgreSQL the
    pick skips rows other claimers are taking (``skip_locked``). Repeat the claimability
    condition in ``take``'s WHERE: the update then never takes a row that stopped being free.
    Run it with ``claim_one``."""
    return PerDialect(lambda dialect: take(skip_locked(pick, dialect).scalar_subquery()))


def lease_claim(
    table: Table,
    state: ColumnElement[bool],
    counter: str,
    returning: Sequence[ColumnElement[Any]],
    stamp: str | None = None,
) -> PerDialect[Update]:
    """A ``claim_update`` taking the oldest row of ``table`` in ``state`` that no one holds:
    never held, or its holder's lease (``locked_until``) ran out. The take sets ``locked_by``
    and ``locked_until`` (parameters ``worker`` and ``until``; ``now`` is the time compared),
    adds one to the ``counter`` column and sets the ``stamp`` column to ``now``. The table
    has ``id`` and ``created_at``, which order the rows."""
    columns = table.c
    now = bindparam("now", type_=UTCDateTime())
    claimable = state & or_(columns.locked_until.is_(None), columns.locked_until < now)
    pick = select(columns.id).where(claimable).order_by(columns.created_at, columns.id).limit(1)
    values: dict[str, Any] = {
        "locked_by": bindparam("worker"),
        "locked_until": bindparam("until", type_=UTCDateTime()),
        counter: columns[counter] + 1,
    }
    if stamp is not None:
        values[stamp] = now
    return claim_update(
        pick,
        lambda chosen: (
            update(table)
            .where(columns.id == chosen, claimable)
            .values(values)
            .returning(*returning)
        ),
    )


def claim_one(
    sessions: sessionmaker[Session], statement: PerDialect[Update], params: Mapping[str, Any]
) -> Row[*tuple[Any, ...]] | None:
    """Run a ``claim_update`` statement in its own write transaction (``BEGIN IMMEDIATE`` on
    SQLite); the claimed row's ``RETURNING`` columns, or None when no row was free."""
    with transaction(sessions) as session:
        return session.execute(statement(session), params).first()


__all__ = [
    "POSTGRESQL",
    "SQLITE",
    "Bind",
    "PerDialect",
    "claim_one",
    "claim_update",
    "lease_claim",
    "dialect_of",
    "for_update",
    "insert_or_ignore",
    "skip_locked",
]
