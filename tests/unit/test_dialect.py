"""The dialect helpers on SQLite and PostgreSQL: insert-or-ignore keeps the first row and says
whether it inserted, a claimed row goes to exactly one claimer, a locked row is updated by one
transaction at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from modgate.db import make_engine, session_factory, transaction
from modgate.db.dialect import (
    PerDialect,
    claim_one,
    claim_update,
    dialect_of,
    for_update,
    insert_or_ignore,
)

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", String, primary_key=True),
    Column("key", String, unique=True, nullable=False),
    Column("claimed_by", String, nullable=True),
    Column("counter", Integer, nullable=False, default=0),
)
INSERT = insert_or_ignore(items, items.c.id, items.c.key)
CLAIM = claim_update(
    select(items.c.id).where(items.c.claimed_by.is_(None)).order_by(items.c.id).limit(1),
    lambda chosen: (
        update(items)
        .where(items.c.id == chosen, items.c.claimed_by.is_(None))
        .values(claimed_by=bindparam("worker"))
        .returning(items.c.id)
    ),
)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    yield session_factory(engine)
    engine.dispose()


def add_items(sessions: sessionmaker[Session], count: int) -> list[str]:
    ids = [f"item-{index:03d}" for index in range(count)]
    with transaction(sessions) as session:
        for item_id in ids:
            session.execute(INSERT(session), {"id": item_id, "key": item_id, "counter": 0})
    return ids


def test_insert_or_ignore_returns_the_inserted_row_and_keeps_the_first(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        first = session.execute(INSERT(session), {"id": "a", "key": "same", "counter": 0}).first()
    assert first is not None and tuple(first) == ("a", "same")
    with transaction(sessions) as session:
        # Same unique key, other id: ignored, nothing returned; the first row stays.
        again = session.execute(INSERT(session), {"id": "b", "key": "same", "counter": 0}).first()
        # Same primary key: ignored too.
        same_id = session.execute(INSERT(session), {"id": "a", "key": "new", "counter": 0}).first()
    assert again is None and same_id is None
    with sessions() as session:
        assert session.execute(select(items.c.id, items.c.key)).all() == [("a", "same")]


def test_statements_are_built_once_per_dialect(sessions: sessionmaker[Session]) -> None:
    built: list[str] = []
    statement = PerDialect(lambda dialect: built.append(dialect) or select(items.c.id))
    with sessions() as session:
        assert statement(session) is statement(session) is statement(dialect_of(session))
    assert built == [dialect_of(sessions.kw["bind"])]


def test_concurrent_claimers_never_get_the_same_row(sessions: sessionmaker[Session]) -> None:
    ids = add_items(sessions, 60)
    start = threading.Barrier(4)
    claimed: dict[str, list[str]] = {}

    def claimer(name: str) -> None:
        mine = claimed.setdefault(name, [])
        start.wait()
        while (row := claim_one(sessions, CLAIM, {"worker": name})) is not None:
            mine.append(row[0])

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [item for rows in claimed.values() for item in rows]
    assert sorted(every) == ids  # each row claimed once, none left behind
    with sessions() as session:
        holders = dict(session.execute(select(items.c.id, items.c.claimed_by)).all())
    assert all(holders[item] == name for name, rows in claimed.items() for item in rows)


def test_a_claim_in_progress_is_passed_over_or_waited_for(
    sessions: sessionmaker[Session],
) -> None:
    """While one claimer holds its pick (not committed yet), another gets a different row:
    at once on PostgreSQL (the held row is skipped), after the first commits on SQLite (one
    writer at a time)."""
    add_items(sessions, 2)
    result: list[str | None] = []
    with transaction(sessions) as first:
        held = first.execute(CLAIM(first), {"worker": "first"}).first()
        assert held is not None and held[0] == "item-000"
        second = threading.Thread(
            target=lambda: result.append(_claimed_id(sessions, "second")), daemon=True
        )
        second.start()
        second.join(timeout=2)
        if dialect_of(first) == "postgresql":
            assert result == ["item-001"]  # did not wait for the first claimer
    second.join(timeout=30)
    assert result == ["item-001"]


def _claimed_id(sessions: sessionmaker[Session], worker: str) -> str | None:
    row = claim_one(sessions, CLAIM, {"worker": worker})
    return None if row is None else str(row[0])


def test_for_update_makes_read_then_write_take_turns(sessions: sessionmaker[Session]) -> None:
    add_items(sessions, 1)
    query = select(items.c.counter).where(items.c.id == "item-000")

    def add_one_ten_times() -> None:
        for _ in range(10):
            with transaction(sessions) as session:
                value = session.scalar(for_update(query, session))
                time.sleep(0.002)  # another transaction would read the same value here
                session.execute(
                    update(items).where(items.c.id == "item-000").values(counter=value + 1)
                )

    threads = [threading.Thread(target=add_one_ten_times) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with sessions() as session:
        assert session.scalar(query) == 30  # no update lost
