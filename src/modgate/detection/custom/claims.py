"""Training jobs claimed under leases, like the pipeline's jobs (``modgate.pipeline.jobs``).

A version in state ``training`` is a durable job. A process takes one with one atomic
statement (``db.dialect.claim_update``: SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite):
a job no one holds, or one whose holder's lease ran out (the process died or hung), oldest
first. Each take counts an attempt. The holder renews its lease while it trains
(``extend``) and records the outcome only while it still holds the job
(``SqlCustomLabelStore.finish_version(worker=…)``), so a job taken over is never finished twice.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import table_of, transaction, utcnow
from modgate.db.dialect import claim_one, lease_claim
from modgate.detection.custom.tables import CustomLabelVersionRow

_versions = table_of(CustomLabelVersionRow)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TrainingClaim:
    """A training job taken by a process: the version, its tenant, and which take this is."""

    version_id: str
    tenant: str
    attempt: int
    request: dict[str, Any] | None


_CLAIM = lease_claim(
    _versions,
    _versions.c.status == "training",
    "attempts",
    (_versions.c.id, _versions.c.tenant, _versions.c.attempts, _versions.c.request),
)


class TrainingJobs:
    """Claim and renew training jobs in the database (SQLite or PostgreSQL)."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.sessions = sessions
        self.clock = clock

    def claim(self, worker: str, lease_seconds: float) -> TrainingClaim | None:
        """The oldest training job no one holds (or whose lease ran out), now ``worker``'s for
        ``lease_seconds``; None when there is none."""
        now = self.clock()
        with self.sessions() as session:  # a read first: idle polls never take the write lock
            free = session.scalar(
                select(CustomLabelVersionRow.id)
                .where(
                    CustomLabelVersionRow.status == "training",
                    or_(
                        CustomLabelVersionRow.locked_until.is_(None),
                        CustomLabelVersionRow.locked_until < now,
                    ),
                )
                .limit(1)
            )
        if free is None:
            return None
        until = now + dt.timedelta(seconds=lease_seconds)
        row = claim_one(self.sessions, _CLAIM, {"now": now, "until": until, "worker": worker})
        return None if row is None else TrainingClaim(row[0], row[1], row[2], row[3])

    def extend(self, version_id: str, worker: str, lease_seconds: float) -> bool:
        """Renew ``worker``'s lease from now; False when the job is no longer ``worker``'s
        (finished, or its lease ran out and another process took it)."""
        now = self.clock()
        with transaction(self.sessions) as session:
            result = session.execute(
                update(CustomLabelVersionRow)
                .where(
                    CustomLabelVersionRow.id == version_id,
                    CustomLabelVersionRow.status == "training",
                    CustomLabelVersionRow.locked_by == worker,
                )
                .values(locked_until=now + dt.timedelta(seconds=lease_seconds))
            )
            return bool(getattr(result, "rowcount", 0))

    def holding(
        self, version_id: str, worker: str, lease_seconds: float, work: Callable[[], T]
    ) -> T:
        """``work()`` while ``worker``'s lease on the job is renewed every third of
        ``lease_seconds`` on a helper thread (until the work ends or the job is lost)."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(lease_seconds / 3):
                if not self.extend(version_id, worker, lease_seconds):
                    return

        renewer = threading.Thread(target=renew, name="modgate-labels-lease", daemon=True)
        renewer.start()
        try:
            return work()
        finally:
            done.set()
            renewer.join()
