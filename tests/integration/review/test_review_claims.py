"""Review claims across processes: separate worker processes claiming on one PostgreSQL
database never share a task. What every ReviewStore does (in memory, SQLite, PostgreSQL) is in
tests/contracts/test_review_store.py."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time

from review_helpers import START, add_moderation

from modgate.db import make_engine, session_factory, upgrade
from modgate.review.models import QueueScope
from modgate.review.settings import ReviewSettings
from modgate.review.store import ReviewStore, SqlReviewStore
from modgate.review.tables import ReviewTaskRow

LEASE = 300
SETTINGS = ReviewSettings(lease_seconds=LEASE, priority_step_seconds=3600)
ALL = QueueScope(None)


def _claim_all(store: ReviewStore, reviewer: str, now: dt.datetime) -> list[str]:
    got = []
    while (claim := store.claim_next(reviewer, ALL, now, LEASE)) is not None:
        got.append(claim.task_id)
    return got


def _process_claims(url: str, reviewer: str, start: float, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(url)
    store = SqlReviewStore(session_factory(engine))
    while time.time() < start:
        time.sleep(0.001)
    queue.put(_claim_all(store, reviewer, START))
    engine.dispose()


def test_separate_processes_on_postgresql_never_share_a_task(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(postgres_url, engine)
    sessions = session_factory(engine)
    for _ in range(100):
        add_moderation(sessions, settings=SETTINGS)
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    start = time.time() + 3
    workers = [
        context.Process(target=_process_claims, args=(postgres_url, f"usr_{i}", start, results))
        for i in range(4)
    ]
    for worker in workers:
        worker.start()
    claimed = [task for _ in workers for task in results.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=30)
    assert len(claimed) == 100 and len(set(claimed)) == 100
    with sessions() as session:
        holders = session.query(ReviewTaskRow.claimed_by).distinct().count()
    assert holders >= 2  # the processes really shared the work
    engine.dispose()
