"""Group commit (``modgate.db.group_commit``) on a real SQLite file and on PostgreSQL: works
queued while a batch is written share the next transaction, a work that fails is rolled back
alone, and a caller returns once its work is committed."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from modgate.db.base import make_engine, session_factory
from modgate.db.group_commit import GroupCommit

ROWS = sa.Table("rows", sa.MetaData(), sa.Column("name", sa.String(20), primary_key=True))


def sessions_on(url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    ROWS.metadata.create_all(engine)
    return session_factory(engine)


def names(sessions) -> set[str]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return set(session.scalars(sa.select(ROWS.c.name)))


def test_works_queued_meanwhile_share_one_transaction_and_fail_alone(tmp_path: Path) -> None:
    sessions = sessions_on(f"sqlite:///{tmp_path / 'g.db'}")
    commits = GroupCommit(sessions)
    assert commits.grouped
    seen: dict[str, int] = {}
    results: dict[str, object] = {}

    def insert(name: str, fail: bool = False):  # type: ignore[no-untyped-def]
        def work(session: Session) -> str:
            if name == "first":  # hold the first batch until the others are queued
                deadline = time.monotonic() + 10
                while len(commits._queued) < 3 and time.monotonic() < deadline:
                    time.sleep(0.01)
            session.execute(sa.insert(ROWS), {"name": name})
            seen[name] = id(session)
            if fail:
                raise ValueError(f"{name} refused")
            return name

        def call() -> None:
            try:
                results[name] = commits.run(work)
            except ValueError as exc:
                results[name] = exc

        return threading.Thread(target=call)

    first = insert("first")
    first.start()
    while not commits._leading:
        time.sleep(0.001)
    others = [insert("b"), insert("c", fail=True), insert("d")]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(timeout=30)
    assert results["first"] == "first" and results["b"] == "b" and results["d"] == "d"
    assert isinstance(results["c"], ValueError)
    assert names(sessions) == {"first", "b", "d"}  # c's insert rolled back alone
    assert seen["b"] == seen["c"] == seen["d"]  # one transaction for the three


def test_a_work_is_committed_when_run_returns(tmp_path: Path) -> None:
    sessions = sessions_on(f"sqlite:///{tmp_path / 'g.db'}")
    commits = GroupCommit(sessions)

    def work(session: Session) -> int:
        session.execute(sa.insert(ROWS), {"name": "kept"})
        return 7

    assert commits.run(work) == 7
    assert names(sessions) == {"kept"}  # visible to another connection at once
    with pytest.raises(sa.exc.IntegrityError):
        commits.run(work)  # the same key again: the caller gets the database's error
    assert names(sessions) == {"kept"}
    assert not commits._leading and not commits._queued


def test_on_postgresql_each_work_has_its_own_transaction(postgres_url: str) -> None:
    sessions = sessions_on(postgres_url)
    commits = GroupCommit(sessions)
    assert not commits.grouped

    def work(session: Session) -> str:
        session.execute(sa.insert(ROWS), {"name": "pg"})
        return "done"

    assert commits.run(work) == "done"
    assert names(sessions) == {"pg"}


def test_a_failed_work_moves_no_counter_and_stops_no_other_works(tmp_path: Path) -> None:
    """Counters move after the commit (``telemetry.after_commit``): a work rolled back to its
    savepoint moves none, and does not stop the others' in its batch."""
    from modgate.telemetry import after_commit

    sessions = sessions_on(f"sqlite:///{tmp_path / 'g.db'}")
    counted: list[str] = []
    with sessions() as session, session.begin():
        after_commit(session, lambda: counted.append("outer"))
        with pytest.raises(ValueError), session.begin_nested():
            after_commit(session, lambda: counted.append("failed"))
            raise ValueError("rolled back")
        with session.begin_nested():
            after_commit(session, lambda: counted.append("kept"))
    assert counted == ["outer", "kept"]
