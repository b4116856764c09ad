"""Durable jobs: the database row is the single source of truth for a job's state.

States: ``queued`` → ``running`` (claimed under a lease) → ``succeeded`` | ``failed`` |
``cancelled``; a failed try with tries left goes back to ``queued`` with a later ``run_after``.
A ``running`` job whose lease expired (its worker died or hung) is claimable again, so a killed
worker never loses a job. Claiming is one atomic statement (``db.dialect.claim_update``: SKIP
LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite).

``JobStore`` is what executors and the processor use: ``SqlJobStore`` on the database,
``pipeline.memory.InMemoryJobStore`` in memory; both pass ``tests/contracts/test_job_store.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Update, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import UTCDateTime, new_id, table_of, transaction, utcnow
from modgate.db.dialect import PerDialect, claim_one, claim_update
from modgate.errors import ConflictException, ResourceNotFoundException
from modgate.pipeline.tables import JobRow

Clock = Callable[[], dt.datetime]
TERMINAL = ("succeeded", "failed", "cancelled")
_jobs = table_of(JobRow)
# Built once, values as parameters: compiled once (this runs for every job).
_ADD = insert(_jobs)
# A running job, only while ``worker`` holds it (its values given as parameters).
_UPDATE_HELD = update(_jobs).where(
    _jobs.c.id == bindparam("job_id"),
    _jobs.c.status == "running",
    _jobs.c.locked_by == bindparam("worker"),
)


@dataclass(frozen=True, slots=True)
class Claim:
    job_id: str
    moderation_id: str
    attempt: int
    max_attempts: int


class StoredJob(Protocol):
    """A job as stored, read-only: a ``JobRow`` or an in-memory record."""

    @property
    def id(self) -> str: ...
    @property
    def moderation_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def max_attempts(self) -> int: ...
    @property
    def run_after(self) -> dt.datetime: ...
    @property
    def locked_by(self) -> str | None: ...
    @property
    def locked_until(self) -> dt.datetime | None: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def finished_at(self) -> dt.datetime | None: ...


class JobStore(Protocol):
    """Durable jobs, claimed under leases. Methods that take a session work inside the
    caller's transaction (an in-memory store ignores it); the others commit on their own."""

    def add(
        self,
        session: Session,
        moderation_id: str,
        max_attempts: int,
        now: dt.datetime,
        claimed_by: str | None = None,
        lease_seconds: float = 0.0,
    ) -> str:
        """A new job, queued or already claimed by ``claimed_by``; its id."""
        ...

    def claim(
        self, worker: str, lease_seconds: float, job_id: str | None = None, look_first: bool = True
    ) -> Claim | None:
        """``job_id`` (or the job due first) for ``worker`` under a lease, counted as a try;
        None when none is free. A running job whose lease ran out is claimable again."""
        ...

    def finish(self, session: Session, job_id: str, worker: str) -> bool:
        """Mark the job succeeded if ``worker`` still holds it; whether it did."""
        ...

    def extend(self, job_id: str, worker: str, lease_seconds: float) -> bool:
        """Renew ``worker``'s lease from now; False when the job is no longer ``worker``'s."""
        ...

    def retry_later(self, job_id: str, worker: str, error: str, delay_seconds: float) -> None:
        """Queue ``worker``'s job again, claimable after ``delay_seconds``; its tries so far
        still count."""
        ...

    def mark_failed(self, session: Session, job_id: str, error: str) -> None: ...

    def get(self, job_id: str) -> StoredJob:
        """The job; ResourceNotFoundException when there is none."""
        ...

    def recent(self, status: str | None = None, limit: int = 100) -> Sequence[StoredJob]:
        """Up to ``limit`` jobs (only those in ``status``), newest first."""
        ...

    def retry_in(self, session: Session, job_id: str) -> str:
        """Queue a failed or cancelled job again with a fresh set of tries; its moderation."""
        ...

    def cancel_in(self, session: Session, job_id: str) -> Claim:
        """Cancel a queued job (ConflictException for any other state)."""
        ...

    def release_orphans(self, host: str, is_alive: Callable[[int], bool]) -> int:
        """Requeue the running jobs of dead worker processes on ``host``; how many."""
        ...

    def claimable_ids(self, limit: int = 100) -> Sequence[str]:
        """Ids of jobs a worker could claim now, due first."""
        ...


def _claim_statement(by_id: bool) -> PerDialect[Update]:
    """One statement that picks the oldest claimable job (or the one named) and takes it:
    ``UPDATE … WHERE id = (SELECT … LIMIT 1) RETURNING``; on PostgreSQL the pick skips rows
    other workers are claiming (``FOR UPDATE SKIP LOCKED``). Built once per dialect; values
    are parameters."""
    now = bindparam("now", type_=UTCDateTime())
    claimable = or_(
        (_jobs.c.status == "queued") & (_jobs.c.run_after <= now),
        (_jobs.c.status == "running") & (_jobs.c.locked_until < now),
    )
    pick = select(_jobs.c.id).where(claimable)
    if by_id:
        pick = pick.where(_jobs.c.id == bindparam("job_id"))
    pick = pick.order_by(_jobs.c.run_after, _jobs.c.id).limit(1)
    return claim_update(
        pick,
        lambda chosen: (
            update(_jobs)
            .where(_jobs.c.id == chosen, claimable)
            .values(
                status="running",
                locked_by=bindparam("worker"),
                attempts=_jobs.c.attempts + 1,
                locked_until=bindparam("until", type_=UTCDateTime()),
                updated_at=now,
            )
            .returning(_jobs.c.id, _jobs.c.moderation_id, _jobs.c.attempts, _jobs.c.max_attempts)
        ),
    )


_CLAIM_NEXT = _claim_statement(by_id=False)
_CLAIM_ID = _claim_statement(by_id=True)


class SqlJobStore:
    """The ``JobStore`` in the database (SQLite or PostgreSQL)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock

    @staticmethod
    def add(
        session: Session,
        moderation_id: str,
        max_attempts: int,
        now: dt.datetime,
        claimed_by: str | None = None,
        lease_seconds: float = 0.0,
    ) -> str:
        """Create a job inside the caller's transaction: queued, or already claimed by
        ``claimed_by`` (its first try, under a lease like any claim). Returns its id."""
        job_id = new_id("job")
        session.execute(
            _ADD,
            {
                "id": job_id,
                "moderation_id": moderation_id,
                "kind": "moderate",
                "status": "running" if claimed_by else "queued",
                "attempts": 1 if claimed_by else 0,
                "locked_by": claimed_by,
                "locked_until": now + dt.timedelta(seconds=lease_seconds) if claimed_by else None,
                "max_attempts": max_attempts,
                "run_after": now,
                "created_at": now,
                "updated_at": now,
            },
        )
        return job_id

    def _claimable(self, now: dt.datetime):  # type: ignore[no-untyped-def]
        return or_(
            (JobRow.status == "queued") & (JobRow.run_after <= now),
            (JobRow.status == "running") & (JobRow.locked_until < now),
        )

    def claim(
        self,
        worker: str,
        lease_seconds: float,
        job_id: str | None = None,
        look_first: bool = True,
    ) -> Claim | None:
        """Claim ``job_id`` (or the oldest claimable job) for ``worker``; None if none is free.

        ``look_first``: read before taking the write lock, so idle polls never take it; a busy
        worker that just finished a job skips the look."""
        now = self.clock()
        if job_id is None and look_first and not self._any_claimable(now):
            return None
        row = claim_one(
            self.sessions,
            _CLAIM_NEXT if job_id is None else _CLAIM_ID,
            {
                "now": now,
                "until": now + dt.timedelta(seconds=lease_seconds),
                "worker": worker,
                "job_id": job_id,
            },
        )
        return None if row is None else Claim(row[0], row[1], row[2], row[3])

    def _any_claimable(self, now: dt.datetime) -> bool:
        with self.sessions() as session:
            return (
                session.scalar(select(JobRow.id).where(self._claimable(now)).limit(1)) is not None
            )

    def finish(self, session: Session, job_id: str, worker: str) -> bool:
        """Mark the job succeeded inside the caller's transaction (only if still ours)."""
        now = self.clock()
        result = session.execute(
            _UPDATE_HELD,
            {
                "job_id": job_id,
                "worker": worker,
                "status": "succeeded",
                "finished_at": now,
                "updated_at": now,
                "locked_until": None,
            },
        )
        return bool(getattr(result, "rowcount", 0))

    def extend(self, job_id: str, worker: str, lease_seconds: float) -> bool:
        """Renew ``worker``'s lease on a running job from now; False when it is no longer
        ``worker``'s (its lease ran out and another worker took the job)."""
        now = self.clock()
        with transaction(self.sessions) as session:
            result = session.execute(
                _UPDATE_HELD,
                {
                    "job_id": job_id,
                    "worker": worker,
                    "locked_until": now + dt.timedelta(seconds=lease_seconds),
                    "updated_at": now,
                },
            )
            return bool(getattr(result, "rowcount", 0))

    def retry_later(self, job_id: str, worker: str, error: str, delay_seconds: float) -> None:
        now = self.clock()
        with transaction(self.sessions) as session:
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.locked_by == worker, JobRow.status == "running")
                .values(
                    status="queued",
                    last_error=error[:4000],
                    locked_until=None,
                    locked_by=None,
                    updated_at=now,
                    run_after=now + dt.timedelta(seconds=delay_seconds),
                )
            )

    def mark_failed(self, session: Session, job_id: str, error: str) -> None:
        now = self.clock()
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(
                status="failed",
                last_error=error[:4000],
                finished_at=now,
                updated_at=now,
                locked_until=None,
            )
        )

    def get(self, job_id: str) -> JobRow:
        with self.sessions() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise ResourceNotFoundException(f"No job {job_id!r}.")
            return row

    def recent(self, status: str | None = None, limit: int = 100) -> Sequence[JobRow]:
        with self.sessions() as session:
            query = select(JobRow).order_by(JobRow.created_at.desc()).limit(limit)
            if status:
                query = query.where(JobRow.status == status)
            return session.scalars(query).all()

    def retry_in(self, session: Session, job_id: str) -> str:
        """Queue a failed or cancelled job again with a fresh set of tries, inside the caller's
        transaction; returns its moderation's id (the caller's to reopen)."""
        now = self.clock()
        row = session.get(JobRow, job_id)
        if row is None:
            raise ResourceNotFoundException(f"No job {job_id!r}.")
        if row.status not in ("failed", "cancelled"):
            raise ConflictException(
                f"Job {job_id} is {row.status}; only failed or cancelled jobs can be retried."
            )
        row.status, row.attempts, row.run_after = "queued", 0, now
        row.finished_at, row.locked_by, row.locked_until = None, None, None
        return row.moderation_id

    def cancel_in(self, session: Session, job_id: str) -> Claim:
        """Cancel a queued job inside the caller's transaction; the job as a claim (its
        moderation is the caller's to settle)."""
        now = self.clock()
        row = session.get(JobRow, job_id)
        if row is None:
            raise ResourceNotFoundException(f"No job {job_id!r}.")
        if row.status != "queued":
            raise ConflictException(
                f"Job {job_id} is {row.status}; only queued jobs can be cancelled."
            )
        row.status, row.finished_at, row.updated_at = "cancelled", now, now
        return Claim(row.id, row.moderation_id, row.attempts, row.max_attempts)

    def release_orphans(self, host: str, is_alive: Callable[[int], bool]) -> int:
        """Requeue running jobs whose worker process on ``host`` no longer exists.

        Worker names are ``<role>@<host>:<pid>:<tag>``; a job held by a dead process on this
        machine is claimable at once instead of after its lease, so a restart after a crash
        resumes the work immediately. Jobs held by other machines wait for their leases.
        """
        now = self.clock()
        released = 0
        with transaction(self.sessions, immediate=True) as session:
            rows = session.execute(
                select(JobRow.id, JobRow.locked_by).where(
                    JobRow.status == "running", JobRow.locked_by.like(f"%@{host}:%")
                )
            ).all()
            for job_id, locked_by in rows:
                try:
                    pid = int(str(locked_by).split("@", 1)[1].split(":")[1])
                except (IndexError, ValueError):
                    continue
                if is_alive(pid):
                    continue
                session.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.locked_by == locked_by)
                    .values(
                        status="queued",
                        locked_by=None,
                        locked_until=None,
                        run_after=now,
                        updated_at=now,
                    )
                )
                released += 1
        return released

    def claimable_ids(self, limit: int = 100) -> Sequence[str]:
        now = self.clock()
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(JobRow.id)
                    .where(self._claimable(now))
                    .order_by(JobRow.run_after)
                    .limit(limit)
                )
            )
