"""The contract every JobStore passes (in memory, SQLite, PostgreSQL): a queued job goes to one
worker at a time, under a lease; a lease that ran out lets another worker take the job over; a
failed try waits its backoff; every claim counts toward the job's tries; cancel and retry move
only the jobs they are meant for."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from contract_databases import Database

from modgate.errors import ConflictException, ResourceNotFoundException
from modgate.pipeline.jobs import JobStore, SqlJobStore
from modgate.pipeline.memory import InMemoryJobStore

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
LEASE = 30.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = START + dt.timedelta(seconds=seconds)


@dataclass
class Harness:
    store: JobStore
    clock: Clock
    session: Callable[[], contextlib.AbstractContextManager[Any]]
    database: Database | None

    def add(
        self,
        moderation_id: str = "mod_1",
        max_attempts: int = 3,
        after: float = 0.0,
        claimed_by: str | None = None,
    ) -> str:
        """A job for a new moderation, due ``after`` seconds from the start."""
        if self.database is not None:
            self.database.add_moderations(moderation_id)
        with self.session() as session:
            return self.store.add(
                session,
                moderation_id,
                max_attempts,
                START + dt.timedelta(seconds=after),
                claimed_by,
                LEASE,
            )


@pytest.fixture
def harness(database: Database | None) -> Harness:
    clock = Clock()
    if database is None:
        return Harness(InMemoryJobStore(clock), clock, contextlib.nullcontext, None)
    return Harness(SqlJobStore(database.sessions, clock), clock, database.transaction, database)


def test_each_queued_job_goes_to_one_worker(harness: Harness) -> None:
    jobs = {harness.add(f"mod_{n}") for n in range(24)}
    claimed: dict[str, list[str]] = {}
    start = threading.Barrier(4)

    def worker(name: str) -> None:
        mine = claimed.setdefault(name, [])
        start.wait()
        while (claim := harness.store.claim(name, LEASE)) is not None:
            assert claim.attempt == 1 and claim.max_attempts == 3
            mine.append(claim.job_id)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [job for taken in claimed.values() for job in taken]
    assert sorted(every) == sorted(jobs)
    for name, taken in claimed.items():
        assert all(harness.store.get(job).locked_by == name for job in taken)
    assert harness.store.claim("w9", LEASE) is None


def test_the_job_due_first_is_claimed_first_and_none_before_it_is_due(harness: Harness) -> None:
    later = harness.add("mod_later", after=20)
    first = harness.add("mod_first", after=5)
    assert harness.store.claim("w1", LEASE) is None
    assert harness.store.claimable_ids() == []
    harness.clock.at(20)
    assert harness.store.claimable_ids() == [first, later]
    claims = [harness.store.claim("w1", LEASE) for _ in range(2)]
    assert [c.job_id for c in claims if c] == [first, later]
    assert [c.moderation_id for c in claims if c] == ["mod_first", "mod_later"]


def test_a_job_can_be_claimed_by_id(harness: Harness) -> None:
    harness.add("mod_1")
    wanted = harness.add("mod_2", after=1)
    harness.clock.at(1)
    claim = harness.store.claim("w1", LEASE, job_id=wanted)
    assert claim is not None and claim.job_id == wanted
    assert harness.store.claim("w2", LEASE, job_id=wanted) is None  # held by w1


def test_an_expired_lease_lets_another_worker_take_over(harness: Harness) -> None:
    job = harness.add()
    assert harness.store.claim("w1", LEASE) is not None
    harness.clock.at(LEASE)  # the lease runs to its last second
    assert harness.store.claim("w2", LEASE) is None
    harness.clock.at(LEASE + 1)
    again = harness.store.claim("w2", LEASE)
    assert again is not None and (again.job_id, again.attempt) == (job, 2)
    # The worker that lost its lease changes nothing any more.
    assert not harness.store.extend(job, "w1", LEASE)
    harness.store.retry_later(job, "w1", "late", 0)
    with harness.session() as session:
        assert not harness.store.finish(session, job, "w1")
    with harness.session() as session:
        assert harness.store.finish(session, job, "w2")
    done = harness.store.get(job)
    assert (done.status, done.attempts, done.last_error) == ("succeeded", 2, None)
    assert done.finished_at == START + dt.timedelta(seconds=LEASE + 1)


def test_a_renewed_lease_keeps_the_job(harness: Harness) -> None:
    job = harness.add()
    harness.store.claim("w1", LEASE)
    harness.clock.at(20)
    assert harness.store.extend(job, "w1", LEASE)
    harness.clock.at(45)
    assert harness.store.claim("w2", LEASE) is None
    assert harness.store.get(job).locked_until == START + dt.timedelta(seconds=50)
    harness.clock.at(51)
    taken = harness.store.claim("w2", LEASE)
    assert taken is not None and taken.job_id == job


def test_a_job_created_claimed_is_its_creators_first_try(harness: Harness) -> None:
    job = harness.add(claimed_by="w1")
    stored = harness.store.get(job)
    assert (stored.status, stored.attempts, stored.locked_by) == ("running", 1, "w1")
    assert harness.store.claim("w2", LEASE) is None
    with harness.session() as session:
        assert harness.store.finish(session, job, "w1")
    assert harness.store.get(job).status == "succeeded"


def test_a_failed_try_waits_its_backoff_and_still_counts(harness: Harness) -> None:
    job = harness.add()
    harness.store.claim("w1", LEASE)
    harness.store.retry_later(job, "w1", "DetectorError: " + "x" * 5000, 10)
    waiting = harness.store.get(job)
    assert (waiting.status, waiting.locked_by, waiting.attempts) == ("queued", None, 1)
    assert waiting.last_error is not None and len(waiting.last_error) == 4000
    harness.clock.at(9)
    assert harness.store.claim("w2", LEASE) is None
    harness.clock.at(10)
    again = harness.store.claim("w2", LEASE)
    assert again is not None and (again.job_id, again.attempt) == (job, 2)


def test_every_claim_counts_toward_the_attempts_cap(harness: Harness) -> None:
    """A worker that dies mid-job never finishes its try: after ``max_attempts`` such claims
    the next claim says so, and the job is failed instead of tried yet again."""
    job = harness.add(max_attempts=2)
    for attempt in (1, 2, 3):
        harness.clock.at((attempt - 1) * (LEASE + 1))
        claim = harness.store.claim(f"w{attempt}", LEASE)
        assert claim is not None and (claim.attempt, claim.max_attempts) == (attempt, 2)
    with harness.session() as session:
        harness.store.mark_failed(session, job, "JobAbandoned: started 2 times")
    harness.clock.at(1000)
    assert harness.store.claim("w4", LEASE) is None
    failed = harness.store.get(job)
    assert (failed.status, failed.last_error) == ("failed", "JobAbandoned: started 2 times")
    assert [j.id for j in harness.store.recent("failed")] == [job]
    # An operator's retry gives it a fresh set of tries.
    with harness.session() as session:
        assert harness.store.retry_in(session, job) == "mod_1"
    claim = harness.store.claim("w5", LEASE)
    assert claim is not None and claim.attempt == 1


def test_only_a_queued_job_can_be_cancelled_and_only_an_ended_one_retried(
    harness: Harness,
) -> None:
    queued, running = harness.add("mod_1", after=1), harness.add("mod_2")
    harness.store.claim("w1", LEASE)
    with harness.session() as session:
        cancelled = harness.store.cancel_in(session, queued)
    assert (cancelled.job_id, cancelled.moderation_id, cancelled.attempt) == (queued, "mod_1", 0)
    assert harness.store.get(queued).status == "cancelled"
    harness.clock.at(5)
    assert harness.store.claim("w2", LEASE) is None
    for refused in (harness.store.cancel_in, harness.store.retry_in):
        with harness.session() as session, pytest.raises(ConflictException, match="running"):
            refused(session, running)
        with harness.session() as session, pytest.raises(ResourceNotFoundException):
            refused(session, "job_missing")
    with pytest.raises(ResourceNotFoundException):
        harness.store.get("job_missing")
    with harness.session() as session:
        harness.store.retry_in(session, queued)
    claim = harness.store.claim("w2", LEASE)
    assert claim is not None and claim.job_id == queued


def test_jobs_of_dead_workers_on_this_host_are_released_at_once(harness: Harness) -> None:
    dead = harness.add("mod_1", claimed_by="worker@here:111:a")
    alive = harness.add("mod_2", claimed_by="worker@here:222:b")
    elsewhere = harness.add("mod_3", claimed_by="worker@there:111:c")
    assert harness.store.release_orphans("here", lambda pid: pid == 222) == 1
    assert harness.store.claimable_ids() == [dead]
    assert {harness.store.get(job).status for job in (alive, elsewhere)} == {"running"}
    claim = harness.store.claim("worker@here:333:d", LEASE)
    assert claim is not None and (claim.job_id, claim.attempt) == (dead, 2)


def test_recent_jobs_newest_first(harness: Harness) -> None:
    jobs = [harness.add(f"mod_{n}", after=n) for n in range(4)]
    harness.clock.at(10)
    harness.store.claim("w1", LEASE, job_id=jobs[1])
    assert [j.id for j in harness.store.recent()] == jobs[::-1]
    assert [j.id for j in harness.store.recent(limit=2)] == [jobs[3], jobs[2]]
    assert [j.id for j in harness.store.recent("running")] == [jobs[1]]
    assert [j.moderation_id for j in harness.store.recent("queued")] == ["mod_3", "mod_2", "mod_0"]
