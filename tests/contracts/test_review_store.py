"""The contract every ReviewStore passes (in memory, SQLite, PostgreSQL): one reviewer per
task, leases that expire, release and skip, queue scopes, priority order, queue figures.
Separate processes claiming on PostgreSQL: tests/integration/review/test_review_claims.py."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from contract_databases import Database, add_moderations

from modgate.errors import LeaseLostException
from modgate.review.lane import create_review
from modgate.review.models import PRIORITY_RANK, QueueScope
from modgate.review.settings import ReviewSettings
from modgate.review.store import InMemoryReviewStore, ReviewStore, SqlReviewStore

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
LEASE = 300
SETTINGS = ReviewSettings(lease_seconds=LEASE, priority_step_seconds=3600)


@dataclass
class Harness:
    store: ReviewStore
    # add(queue=, priority=, reviewers=, at=, count=): ``count`` items; the last one's moderation
    add: Callable[..., str]


@pytest.fixture
def harness(database: Database | None) -> Harness:
    numbers = itertools.count(1)
    if database is None:
        store = InMemoryReviewStore()

        def add_memory(
            queue: str = "default",
            priority: str = "normal",
            reviewers: int = 1,
            at: dt.datetime = START,
            count: int = 1,
        ) -> str:
            step = SETTINGS.priority_step_seconds
            head_start = dt.timedelta(seconds=PRIORITY_RANK[priority] * step)
            for n in itertools.islice(numbers, count):
                for slot in range(reviewers):
                    store.add_task(
                        f"tsk_{n:04d}_{slot}",
                        f"rev_{n:04d}",
                        queue,
                        at,
                        at - head_start,
                        f"mod_{n:04d}",
                    )
            return f"mod_{n:04d}"

        return Harness(store, add_memory)

    media_id = database.add_media()

    def add_sql(
        queue: str = "default",
        priority: str = "normal",
        reviewers: int = 1,
        at: dt.datetime = START,
        count: int = 1,
    ) -> str:
        moderation_ids = [f"mod_{n:04d}" for n in itertools.islice(numbers, count)]
        with database.transaction() as session:
            add_moderations(session, media_id, moderation_ids)
            session.flush()
            for moderation_id in moderation_ids:
                create_review(
                    session,
                    SETTINGS,
                    moderation_id,
                    kind="first",
                    queue=queue,
                    priority=priority,
                    reviewers=reviewers,
                    selected=[],
                    rule_id=None,
                    policy_version=None,
                    now=at,
                )
        return moderation_ids[-1]

    return Harness(SqlReviewStore(database.sessions), add_sql)


ALL = QueueScope(None)


def test_each_task_goes_to_one_reviewer_and_an_empty_queue_says_so(harness: Harness) -> None:
    for _ in range(3):
        harness.add()
    now = START + dt.timedelta(minutes=1)
    claims = [harness.store.claim_next(f"usr_{i}", ALL, now, LEASE) for i in range(4)]
    taken = [c for c in claims if c is not None]
    assert len(taken) == 3 and claims[3] is None
    assert len({c.task_id for c in taken}) == 3
    assert all(c.lease_expires_at == now + dt.timedelta(seconds=LEASE) for c in taken)


def test_an_expired_lease_returns_the_task_to_the_queue(harness: Harness) -> None:
    harness.add()
    first = harness.store.claim_next("usr_a", ALL, START, LEASE)
    assert first is not None
    assert (
        harness.store.claim_next("usr_b", ALL, START + dt.timedelta(seconds=LEASE - 1), LEASE)
        is None
    )
    again = harness.store.claim_next("usr_b", ALL, START + dt.timedelta(seconds=LEASE + 1), LEASE)
    assert again is not None and again.task_id == first.task_id
    with pytest.raises(LeaseLostException):
        harness.store.release(first.task_id, "usr_a", START + dt.timedelta(seconds=LEASE + 2))


def test_release_puts_it_back_and_skip_hands_it_to_someone_else(harness: Harness) -> None:
    harness.add()
    claim = harness.store.claim_next("usr_a", ALL, START, LEASE)
    assert claim is not None
    harness.store.release(claim.task_id, "usr_a", START)
    again = harness.store.claim_next("usr_a", ALL, START, LEASE)
    assert again is not None and again.task_id == claim.task_id
    harness.store.skip(claim.task_id, "usr_a", START)
    assert harness.store.claim_next("usr_a", ALL, START, LEASE) is None
    other = harness.store.claim_next("usr_b", ALL, START, LEASE)
    assert other is not None and other.task_id == claim.task_id


def test_one_reviewer_never_takes_two_slots_of_the_same_item(harness: Harness) -> None:
    harness.add(reviewers=3)
    mine = harness.store.claim_next("usr_a", ALL, START, LEASE)
    assert mine is not None
    assert harness.store.claim_next("usr_a", ALL, START, LEASE) is None
    second = harness.store.claim_next("usr_b", ALL, START, LEASE)
    third = harness.store.claim_next("usr_c", ALL, START, LEASE)
    assert second and third
    assert {mine.review_id, second.review_id, third.review_id} == {mine.review_id}
    assert len({mine.task_id, second.task_id, third.task_id}) == 3


def test_priority_first_then_age_with_head_start(harness: Harness) -> None:
    old_normal = harness.add(priority="normal", at=START)
    harness.add(priority="low", at=START + dt.timedelta(minutes=1))
    urgent = harness.add(priority="urgent", at=START + dt.timedelta(minutes=30))
    # A high item queued 90 minutes later loses to the normal one: the head start is one hour.
    harness.add(priority="high", at=START + dt.timedelta(minutes=90))
    now = START + dt.timedelta(hours=2)
    order = []
    for i in range(4):
        claim = harness.store.claim_next(f"usr_{i}", ALL, now, LEASE)
        assert claim is not None
        order.append(claim.moderation_id)
    assert order[0] == urgent
    assert order[1] == old_normal


def test_a_reviewer_only_gets_the_queues_in_scope(harness: Harness) -> None:
    harness.add(queue="nudity")
    harness.add(queue="violence")
    scope = QueueScope(frozenset({"violence"}))
    claim = harness.store.claim_next("usr_a", scope, START, LEASE)
    assert claim is not None and claim.queue == "violence"
    assert harness.store.claim_next("usr_a", scope, START, LEASE) is None
    excluded = QueueScope(None, frozenset({"nudity"}))
    assert harness.store.claim_next("usr_b", excluded, START, LEASE) is None


def test_queue_figures(harness: Harness) -> None:
    harness.add(queue="nudity", at=START)
    harness.add(queue="nudity", at=START + dt.timedelta(hours=1))
    harness.add(queue="violence", at=START + dt.timedelta(hours=1))
    now = START + dt.timedelta(hours=5)
    harness.store.claim_next("usr_a", QueueScope(frozenset({"violence"})), now, LEASE)
    stats = {s.queue: s for s in harness.store.queue_stats(ALL, now, lambda q: 4 * 3600)}
    assert stats["nudity"].depth == 2 and stats["nudity"].in_progress == 0
    assert stats["nudity"].oldest_age_seconds == 5 * 3600
    assert stats["nudity"].overdue == 1
    assert stats["violence"].depth == 0 and stats["violence"].in_progress == 1


def _claim_all(store: ReviewStore, reviewer: str, now: dt.datetime) -> list[str]:
    got = []
    while True:
        claim = store.claim_next(reviewer, ALL, now, LEASE)
        if claim is None:
            return got
        got.append(claim.task_id)


def test_twenty_threads_never_share_a_task(harness: Harness) -> None:
    harness.add(count=120)
    results: dict[str, list[str]] = {}
    barrier = threading.Barrier(20)

    def work(index: int) -> None:
        barrier.wait()
        results[f"usr_{index}"] = _claim_all(harness.store, f"usr_{index}", START)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [task for tasks in results.values() for task in tasks]
    assert len(claimed) == 120
    assert len(set(claimed)) == 120
    # Every lease expires: all 120 come back, again each to exactly one reviewer.
    later = START + dt.timedelta(seconds=LEASE + 1)
    again = [t for i in range(20) for t in _claim_all(harness.store, f"late_{i}", later)]
    assert sorted(again) == sorted(claimed)
