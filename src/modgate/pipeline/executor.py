"""Executors run jobs by id; the database decides who runs what.

- ``EmbeddedExecutor`` (default): worker threads inside ``modgate serve``. Idle workers poll for
  claimable jobs, so at start they resume whatever a crash left queued or half-run (a running job
  is claimable again once its lease expires).
- ``CeleryExecutor``: ``enqueue`` publishes the job id to the broker; ``modgate worker`` processes
  run the same task. Each worker also polls the database, so a lost broker message only delays a
  job.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from modgate.pipeline.jobs import Claim, JobStore
from modgate.processes import process_alive

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from modgate.pipeline.outcomes import Fresh, Judged, Outcome

logger = logging.getLogger(__name__)


class Decided:
    """Wakes threads waiting for a decision made in this process (``wait=true`` requests).

    Remembers the last few thousand moderations decided here, so a waiter learns that its own
    was decided without asking the database. Decisions made by other processes (Celery workers)
    are noticed by polling, so waiters still look at the database now and then.

    A waiter that announced itself with ``expect`` is also handed what the deciding run
    committed (``take``), so it can answer without reading the moderation back.
    """

    def __init__(self, remember: int = 4096) -> None:
        self._condition = threading.Condition()
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._remember = remember
        self._targeted = 0  # targeted notices so far
        self._expected: dict[str, Outcome | None] = {}

    def notify(self, moderation_id: str | None = None, outcome: Outcome | None = None) -> None:
        """``moderation_id`` was decided (or, without one, something may have changed)."""
        with self._condition:
            if moderation_id is not None:
                self._recent[moderation_id] = None
                self._targeted += 1
                while len(self._recent) > self._remember:
                    self._recent.popitem(last=False)
                if outcome is not None and moderation_id in self._expected:
                    self._expected[moderation_id] = outcome
            self._condition.notify_all()

    def expect(self, moderation_id: str) -> None:
        """A waiter wants the outcome of ``moderation_id``; it must call ``take`` in the end."""
        with self._condition:
            self._expected[moderation_id] = None

    def take(self, moderation_id: str) -> Outcome | None:
        """The outcome handed over for ``moderation_id`` (None if none came); ends the
        expectation."""
        with self._condition:
            return self._expected.pop(moderation_id, None)

    def settled(self, moderation_id: str) -> bool:
        with self._condition:
            return moderation_id in self._recent

    def wait_for(self, moderation_id: str, timeout: float) -> bool:
        """Block until ``moderation_id`` is decided here, any untargeted notice, or ``timeout``;
        whether it was decided here."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while moderation_id not in self._recent:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                before = self._targeted
                self._condition.wait(left)
                if self._targeted == before and moderation_id not in self._recent:
                    return False  # an untargeted notice: let the caller look
            return True


class Executor(Protocol):
    def enqueue(self, job_id: str) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


def worker_name(prefix: str = "worker") -> str:
    return f"{prefix}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class JobRunner:
    """Claims a job (by id or the next one) and runs the task on it."""

    def __init__(
        self, jobs: JobStore, task: Callable[[Claim, str], object], lease_seconds: float
    ) -> None:
        self.jobs = jobs
        self.task = task
        self.lease_seconds = lease_seconds

    def run_next(self, worker: str, look_first: bool = True) -> bool:
        claim = self.jobs.claim(worker, self.lease_seconds, look_first=look_first)
        if claim is None:
            return False
        self.task(claim, worker)
        return True

    def run_id(self, job_id: str, worker: str) -> bool:
        claim = self.jobs.claim(worker, self.lease_seconds, job_id=job_id)
        if claim is None:
            return False
        self.task(claim, worker)
        return True


class RequestJobs(Protocol):
    """What a request that runs its own job needs of the job task (``ModerationProcessor``)."""

    def run(self, claim: Claim, worker: str, known: Fresh | None = None) -> Outcome | None: ...

    def judge(self, moderation_id: str, known: Fresh) -> Judged: ...

    def write_judged(
        self, session: Session, claim: Claim, worker: str, judged: Judged
    ) -> Outcome | None: ...

    def judged_committed(self, moderation_id: str, judged: Judged, outcome: Outcome) -> None: ...


class RunHere:
    """Runs ``wait=true`` jobs on the requesting thread while one of ``slots`` is free.

    The job row is created already claimed by this process (same lease as any claim), so a crash
    mid-run leaves it to be resumed like any other; the request is spared the hand-over to a
    worker thread and back, and its claim. When every slot is busy the job goes to the workers.

    A text is decided before anything is written (``judge``), then the moderation, its job and
    its decision are written in one transaction (``write_judged``): see ``in_request``.
    """

    def __init__(self, jobs: RequestJobs, slots: int, lease_seconds: float) -> None:
        self.jobs = jobs
        self.lease_seconds = lease_seconds
        self.worker = worker_name("request")
        self._slots = threading.BoundedSemaphore(max(1, slots))

    def acquire(self) -> bool:
        return self._slots.acquire(blocking=False)

    def release(self) -> None:
        self._slots.release()

    def run(self, claim: Claim, known: Fresh | None = None) -> Outcome | None:
        """Run the job here; what it decided, if this run decided it. ``known``: the
        moderation and media as the submitter just wrote them."""
        return self.jobs.run(claim, self.worker, known)


class PollingWorkers:
    """``count`` threads that claim and run jobs until stopped.

    ``wake`` (one per job queued in this process) wakes exactly one idle worker, which claims
    at once. Workers also poll every ``poll_seconds`` (and keep going while they find work) for
    jobs queued elsewhere, retries that came due and leases that expired; a poll reads before
    it takes the write lock, so an idle pool never blocks writers.
    """

    def __init__(
        self, runner: JobRunner, count: int, poll_seconds: float, name: str = "embedded"
    ) -> None:
        self.runner = runner
        self.count = count
        self.poll_seconds = poll_seconds
        self.name = name
        self._stop = threading.Event()
        self._queued = threading.Semaphore(0)  # jobs queued here and not yet claimed for
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        for index in range(self.count):
            thread = threading.Thread(
                target=self._loop,
                args=(worker_name(self.name),),
                name=f"modgate-{self.name}-{index}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        self._queued.release()

    def _loop(self, worker: str) -> None:
        worked = False
        while not self._stop.is_set():
            # After a job, look again at once; idle, sleep until a job is queued or poll time.
            queued = self._queued.acquire(timeout=0 if worked else self.poll_seconds)
            if self._stop.is_set():
                break
            try:
                worked = self.runner.run_next(worker, look_first=not queued)
            except Exception:  # the database may be briefly unavailable: keep going
                logger.exception("worker %s: claiming failed", worker)
                worked = False

    def stop(self) -> None:
        self._stop.set()
        for _ in self._threads:
            self._queued.release()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()


class EmbeddedExecutor:
    def __init__(self, runner: JobRunner, workers: int, poll_seconds: float) -> None:
        self.runner = runner
        self.pool = PollingWorkers(runner, workers, poll_seconds)

    def enqueue(self, job_id: str) -> None:
        self.pool.wake()

    def start(self) -> None:
        released = self.runner.jobs.release_orphans(socket.gethostname(), process_alive)
        if released:
            logger.info("resuming %d jobs left running by a process that died", released)
        self.pool.start()

    def stop(self) -> None:
        self.pool.stop()


_ONCE = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}


class CeleryExecutor:
    """Publishes job ids; ``modgate worker`` runs them.

    A job is durable once its row is committed, and workers also find queued rows by polling,
    so publishing is only a wake-up call. When the broker cannot be reached, uploads are not
    held up by it: a publish is retried once only, and for ``BROKER_BACKOFF_SECONDS`` after one
    fails no publish is tried at all."""

    BROKER_BACKOFF_SECONDS = 10.0

    def __init__(self, broker_url: str, clock: Callable[[], float] = time.monotonic) -> None:
        from modgate.pipeline.celery_app import make_celery

        self.app = make_celery(broker_url)
        self.clock = clock
        self._skip_until = 0.0

    def enqueue(self, job_id: str) -> None:
        if self.clock() < self._skip_until:
            return  # the broker failed moments ago; the queued row is found by polling
        try:
            # One retry, at once: a connection the broker closed (a restart) is re-opened
            # and the publish goes through; a broker that is down fails fast.
            self.app.send_task("modgate.run_job", args=[job_id], retry=True, retry_policy=_ONCE)
        except Exception as exc:  # the row is queued: a worker's poll will pick it up
            self._skip_until = self.clock() + self.BROKER_BACKOFF_SECONDS
            logger.warning(
                "could not publish job %s (%s: %s); workers will find it by polling, and no "
                "job is published for %g s",
                job_id,
                type(exc).__name__,
                exc,
                self.BROKER_BACKOFF_SECONDS,
            )

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None
