"""SQLite writers of one process take turns on the process's ``WriterQueue`` before asking
SQLite for its lock (``modgate.db.base``)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

from modgate.db.base import WriterQueue, make_engine, session_factory, transaction, writer_queue

COUNTER = sa.Table("counter", sa.MetaData(), sa.Column("n", sa.Integer, nullable=False))


def test_concurrent_read_modify_write_transactions_all_succeed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    COUNTER.metadata.create_all(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        session.execute(sa.insert(COUNTER), {"n": 0})

    def bump(_: int) -> None:
        with transaction(sessions) as session:
            n = session.scalar(sa.select(COUNTER.c.n))
            session.execute(sa.update(COUNTER).values(n=n + 1))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(bump, range(200)))
    with sessions() as session:
        assert session.scalar(sa.select(COUNTER.c.n)) == 200  # no lost update, none refused
    queue = writer_queue(engine)
    assert queue is writer_queue(engine) and queue._owner is None  # every turn given back


def test_a_turn_is_reentrant_can_end_on_another_thread_and_is_waited_for_boundedly() -> None:
    queue = WriterQueue(timeout=0.05)
    assert queue.acquire() and queue.acquire()  # the same thread again
    queue.release()
    got: list[bool] = []
    other = threading.Thread(target=lambda: got.append(queue.acquire()))
    other.start()
    other.join()
    assert got == [False]  # waited its bound, then goes on to SQLite's own wait
    ender = threading.Thread(target=queue.release)
    ender.start()
    ender.join()
    assert queue.acquire()  # free again
    queue.release()
