"""What keeps a running job honest: its CPU-time budget (``CpuBudget``) and the heartbeat that
renews its lease as it makes progress (``Heartbeat``), stopping the run (``LeaseLost``) once
another worker took the job over."""

from __future__ import annotations

import time

from modgate.errors import JobCpuBudgetExceededException
from modgate.pipeline.jobs import Claim, JobStore


class LeaseLost(Exception):
    """The job's lease ran out and another worker took it: this run stops."""


class CpuBudget:
    """Stops a job whose detection has used more than ``seconds`` of CPU time on this thread
    (``time.thread_time``, counted from when the budget is made; 0: no budget). Called after
    each video or animation sample, on the thread that runs the job."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.thread_time()

    def __call__(self) -> None:
        used = time.thread_time() - self.started
        if self.seconds and used > self.seconds:
            raise JobCpuBudgetExceededException(
                f"detection used {used:.3f} s of CPU time; the budget is {self.seconds:g} s "
                "(MODGATE_PIPELINE__JOB_CPU_SECONDS)"
            )


class Heartbeat:
    """Renews a running job's lease as the job makes progress (called after each video or
    animation sample), at most four times per lease. A long video keeps its lease while its
    samples keep being detected; only a job that makes no progress for a whole job timeout (a
    hung worker) loses it and is tried again elsewhere. Checks the job's ``budget`` first."""

    def __init__(
        self, jobs: JobStore, claim: Claim, worker: str, lease_seconds: float, budget: CpuBudget
    ) -> None:
        self.jobs = jobs
        self.claim = claim
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.budget = budget
        self.renewed = time.monotonic()

    def __call__(self) -> None:
        self.budget()
        now = time.monotonic()
        if now - self.renewed < self.lease_seconds / 4:
            return
        self.renewed = now
        if not self.jobs.extend(self.claim.job_id, self.worker, self.lease_seconds):
            raise LeaseLost(f"job {self.claim.job_id} is no longer held by {self.worker}")
