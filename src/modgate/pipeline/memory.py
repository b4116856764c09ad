"""Jobs in memory: the test double of ``SqlJobStore`` that ships with the code, for tests of
executors and workers that need no database. It passes the same contract
(``tests/contracts/test_job_store.py``): each claim is one try, a job goes to one worker at a
time, a lease that ran out lets another worker take the job over, a retry waits its delay.

Sessions are accepted and ignored; one lock makes every method atomic, as one statement is in
the database. Stored jobs are frozen ``JobRecord`` values, replaced on every change, so what a
caller holds never changes under it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from modgate.db.base import new_id, utcnow
from modgate.errors import ConflictException, ResourceNotFoundException
from modgate.pipeline.jobs import Claim, Clock

_ERROR_LIMIT = 4000  # as much of an error as the database keeps


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job as the in-memory store keeps it: the columns of a ``JobRow``."""

    id: str
    moderation_id: str
    status: str
    attempts: int
    max_attempts: int
    run_after: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    locked_by: str | None = None
    locked_until: dt.datetime | None = None
    last_error: str | None = None
    finished_at: dt.datetime | None = None

    def claimable(self, now: dt.datetime) -> bool:
        if self.status == "queued":
            return self.run_after <= now
        return (
            self.status == "running" and self.locked_until is not None and (self.locked_until < now)
        )


class InMemoryJobStore:
    """A ``JobStore`` in a dict."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock
        self.jobs: dict[str, JobRecord] = {}
        self._lock = threading.Lock()

    def add(
        self,
        session: object,
        moderation_id: str,
        max_attempts: int,
        now: dt.datetime,
        claimed_by: str | None = None,
        lease_seconds: float = 0.0,
    ) -> str:
        job_id = new_id("job")
        held = claimed_by is not None
        with self._lock:
            self.jobs[job_id] = JobRecord(
                id=job_id,
                moderation_id=moderation_id,
                status="running" if held else "queued",
                attempts=1 if held else 0,
                max_attempts=max_attempts,
                run_after=now,
                created_at=now,
                updated_at=now,
                locked_by=claimed_by,
                locked_until=now + dt.timedelta(seconds=lease_seconds) if held else None,
            )
        return job_id

    def claim(
        self, worker: str, lease_seconds: float, job_id: str | None = None, look_first: bool = True
    ) -> Claim | None:
        now = self.clock()
        with self._lock:
            ready = [
                job
                for job in self.jobs.values()
                if job.claimable(now) and (job_id is None or job.id == job_id)
            ]
            if not ready:
                return None
            job = min(ready, key=lambda item: (item.run_after, item.id))
            taken = self._change(
                job.id,
                status="running",
                locked_by=worker,
                attempts=job.attempts + 1,
                locked_until=now + dt.timedelta(seconds=lease_seconds),
                updated_at=now,
            )
        return Claim(taken.id, taken.moderation_id, taken.attempts, taken.max_attempts)

    def finish(self, session: object, job_id: str, worker: str) -> bool:
        now = self.clock()
        return self._change_held(
            job_id,
            worker,
            status="succeeded",
            finished_at=now,
            updated_at=now,
            locked_until=None,
        )

    def extend(self, job_id: str, worker: str, lease_seconds: float) -> bool:
        now = self.clock()
        return self._change_held(
            job_id, worker, locked_until=now + dt.timedelta(seconds=lease_seconds), updated_at=now
        )

    def retry_later(self, job_id: str, worker: str, error: str, delay_seconds: float) -> None:
        now = self.clock()
        self._change_held(
            job_id,
            worker,
            status="queued",
            last_error=error[:_ERROR_LIMIT],
            locked_until=None,
            locked_by=None,
            updated_at=now,
            run_after=now + dt.timedelta(seconds=delay_seconds),
        )

    def mark_failed(self, session: object, job_id: str, error: str) -> None:
        now = self.clock()
        with self._lock:
            if job_id in self.jobs:
                self._change(
                    job_id,
                    status="failed",
                    last_error=error[:_ERROR_LIMIT],
                    finished_at=now,
                    updated_at=now,
                    locked_until=None,
                )

    def get(self, job_id: str) -> JobRecord:
        with self._lock:
            return self._get(job_id)

    def recent(self, status: str | None = None, limit: int = 100) -> Sequence[JobRecord]:
        with self._lock:
            found = [job for job in self.jobs.values() if status is None or job.status == status]
        return sorted(found, key=lambda job: job.created_at, reverse=True)[:limit]

    def retry_in(self, session: object, job_id: str) -> str:
        now = self.clock()
        with self._lock:
            job = self._get(job_id)
            if job.status not in ("failed", "cancelled"):
                raise ConflictException(
                    f"Job {job_id} is {job.status}; only failed or cancelled jobs can be retried."
                )
            self._change(
                job_id,
                status="queued",
                attempts=0,
                run_after=now,
                finished_at=None,
                locked_by=None,
                locked_until=None,
                updated_at=now,
            )
        return job.moderation_id

    def cancel_in(self, session: object, job_id: str) -> Claim:
        now = self.clock()
        with self._lock:
            job = self._get(job_id)
            if job.status != "queued":
                raise ConflictException(
                    f"Job {job_id} is {job.status}; only queued jobs can be cancelled."
                )
            self._change(job_id, status="cancelled", finished_at=now, updated_at=now)
        return Claim(job.id, job.moderation_id, job.attempts, job.max_attempts)

    def release_orphans(self, host: str, is_alive: Callable[[int], bool]) -> int:
        now = self.clock()
        released = 0
        with self._lock:
            for job in list(self.jobs.values()):
                pid = _pid_on(host, job.locked_by) if job.status == "running" else None
                if pid is None or is_alive(pid):
                    continue
                self._change(
                    job.id,
                    status="queued",
                    locked_by=None,
                    locked_until=None,
                    run_after=now,
                    updated_at=now,
                )
                released += 1
        return released

    def claimable_ids(self, limit: int = 100) -> Sequence[str]:
        now = self.clock()
        with self._lock:
            ready = [job for job in self.jobs.values() if job.claimable(now)]
        return [job.id for job in sorted(ready, key=lambda job: job.run_after)[:limit]]

    # ---- under the lock ---------------------------------------------------------------------
    def _get(self, job_id: str) -> JobRecord:
        job = self.jobs.get(job_id)
        if job is None:
            raise ResourceNotFoundException(f"No job {job_id!r}.")
        return job

    def _change(self, job_id: str, **values: object) -> JobRecord:
        changed = dataclasses.replace(self.jobs[job_id], **values)  # type: ignore[arg-type]
        self.jobs[job_id] = changed
        return changed

    def _change_held(self, job_id: str, worker: str, **values: object) -> bool:
        """Change a running job only while ``worker`` holds it; whether it did."""
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None or job.status != "running" or job.locked_by != worker:
                return False
            self._change(job_id, **values)
            return True


def _pid_on(host: str, worker: str | None) -> int | None:
    """The process id in worker name ``<role>@<host>:<pid>:<tag>`` when it runs on ``host``."""
    if worker is None or f"@{host}:" not in worker:
        return None
    try:
        return int(worker.split("@", 1)[1].split(":")[1])
    except (IndexError, ValueError):
        return None
