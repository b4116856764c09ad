"""The training thread of a process: it takes custom-label training jobs no process holds (new
ones, and ones whose holder died: their lease ran out) and trains them one at a time, renewing
the job's lease while it trains. Every ``modgate serve`` and ``modgate worker`` runs one, so a
job accepted by a server that then died is trained by another process, or by the same one
restarted. ``wake`` starts a job submitted here at once instead of at the next poll.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from modgate.detection.custom.claims import TrainingClaim, TrainingJobs
from modgate.labels.settings import LabelSettings

logger = logging.getLogger(__name__)


def worker_name(prefix: str = "labels") -> str:
    """``<prefix>@<host>:<pid>:<tag>``, the holder name of this process's training jobs."""
    return f"{prefix}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class TrainingWorker:
    """Claims training jobs and runs ``train(claim, worker)`` on each, on one daemon thread."""

    def __init__(
        self,
        jobs: TrainingJobs,
        train: Callable[[TrainingClaim, str], None],
        settings: LabelSettings,
        name: str,
    ) -> None:
        self.jobs = jobs
        self.train = train
        self.settings = settings
        self.name = name
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="modgate-labels", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> bool:
        """Train one job no one holds; False when there was none."""
        claim = self.jobs.claim(self.name, self.settings.lease_seconds)
        if claim is None:
            return False
        self.train(claim, self.name)
        return True

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the job's lease runs out and it is taken up again
                logger.exception("custom labels: a training job failed to run")
                busy = False
            if not busy:
                self._wake.wait(self.settings.poll_seconds)
                self._wake.clear()

    def stop(self) -> None:
        """Stop after the job in hand (a job cut short is taken up again once its lease ends)."""
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
