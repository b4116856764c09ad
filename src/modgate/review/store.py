"""Claiming review tasks: the ``ReviewStore`` protocol, its SQL implementation and an in-memory
double for tests.

A task goes to exactly one reviewer at a time. PostgreSQL picks the first claimable row with
``FOR UPDATE SKIP LOCKED`` (concurrent claimers skip each other's rows instead of waiting);
SQLite takes the write lock up front with ``BEGIN IMMEDIATE`` so claims run one after another
(``db.dialect.skip_locked``).
A claim is a lease: ``available_at`` moves to the lease expiry, so an abandoned task becomes
claimable again by itself. See ``README.md`` in this folder for the whole flow.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import and_, case, delete, exists, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import table_of
from modgate.db.dialect import for_update, insert_or_ignore, skip_locked
from modgate.errors import ConflictException, LeaseLostException, ResourceNotFoundException
from modgate.review.models import ClaimedTask, QueueScope, QueueStats
from modgate.review.tables import ReviewExclusionRow, ReviewTaskRow


class ReviewStore(Protocol):
    def claim_next(
        self, reviewer_id: str, scope: QueueScope, now: dt.datetime, lease_seconds: int
    ) -> ClaimedTask | None: ...

    def release(self, task_id: str, reviewer_id: str, now: dt.datetime) -> None: ...

    def skip(self, task_id: str, reviewer_id: str, now: dt.datetime) -> None: ...

    def queue_stats(
        self, scope: QueueScope, now: dt.datetime, sla_for: Callable[[str], int]
    ) -> list[QueueStats]: ...


def _scope_filter(scope: QueueScope):  # type: ignore[no-untyped-def]
    task = ReviewTaskRow
    conditions = []
    if scope.include is not None:
        conditions.append(task.queue.in_(sorted(scope.include)))
    if scope.exclude:
        conditions.append(task.queue.not_in(sorted(scope.exclude)))
    return and_(*conditions) if conditions else None


# The claimer may not get this review's other slots (built once per dialect).
_exclusions = table_of(ReviewExclusionRow)
_EXCLUDE = insert_or_ignore(_exclusions, _exclusions.c.review_id)


def claim_in_session(
    session: Session, reviewer_id: str, scope: QueueScope, now: dt.datetime, lease_seconds: int
) -> ClaimedTask | None:
    """One claim inside the caller's transaction (which must be immediate on SQLite)."""
    if scope.include is not None and not scope.include:
        return None
    task = ReviewTaskRow
    excluded = exists().where(
        ReviewExclusionRow.review_id == task.review_id, ReviewExclusionRow.user_id == reviewer_id
    )
    query = (
        select(task.id, task.review_id, task.moderation_id, task.queue, task.claimed_by)
        .where(task.status == "pending", task.available_at <= now, ~excluded)
        .order_by(task.sort_key, task.id)
        .limit(1)
    )
    scope_filter = _scope_filter(scope)
    if scope_filter is not None:
        query = query.where(scope_filter)
    row = session.execute(skip_locked(query, session, of=task)).first()
    if row is None:
        return None
    task_id, review_id, moderation_id, queue, previous = row
    expires = now + dt.timedelta(seconds=lease_seconds)
    session.execute(
        update(task)
        .where(task.id == task_id)
        .values(
            claimed_by=reviewer_id, claimed_at=now, available_at=expires, attempts=task.attempts + 1
        )
    )
    if previous is not None and previous != reviewer_id:
        # The previous lease expired: that reviewer may get this item again later.
        session.execute(
            delete(ReviewExclusionRow).where(
                ReviewExclusionRow.review_id == review_id,
                ReviewExclusionRow.user_id == previous,
                ReviewExclusionRow.reason == "claimed",
            )
        )
    inserted = session.execute(
        _EXCLUDE(session), {"review_id": review_id, "user_id": reviewer_id, "reason": "claimed"}
    ).first()
    if inserted is None and previous != reviewer_id:
        # The same reviewer won another slot of this review at the same moment: give this back.
        raise _SameReviewRace()
    return ClaimedTask(task_id, review_id, moderation_id, queue, reviewer_id, expires)


class _SameReviewRace(Exception):
    pass


def owned_task(
    session: Session,
    task_id: str,
    reviewer_id: str,
    lock: bool = True,
    now: dt.datetime | None = None,
) -> ReviewTaskRow:
    """The pending task ``task_id`` if ``reviewer_id`` holds its claim, else a clear error.

    Given ``now``, a claim whose lease ended by then is lost too, even if no one took the task
    yet (verdicts and reveals pass it; releasing or skipping an ended claim is harmless)."""
    query = select(ReviewTaskRow).where(ReviewTaskRow.id == task_id)
    row = session.scalars(for_update(query, session) if lock else query).first()
    if row is None:
        raise ResourceNotFoundException(f"No review task {task_id!r}.")
    if row.status != "pending":
        raise ConflictException("This task is already finished.")
    if row.claimed_by != reviewer_id:
        raise LeaseLostException()
    if now is not None and row.available_at <= now:
        raise LeaseLostException("Your claim on this task expired; it went back to the queue.")
    return row


@dataclass
class SqlReviewStore:
    sessions: sessionmaker[Session]

    def claim_next(
        self, reviewer_id: str, scope: QueueScope, now: dt.datetime, lease_seconds: int
    ) -> ClaimedTask | None:
        for _attempt in range(5):
            try:
                with self.sessions() as session, session.begin():
                    return claim_in_session(session, reviewer_id, scope, now, lease_seconds)
            except _SameReviewRace:
                continue
        return None

    def release(self, task_id: str, reviewer_id: str, now: dt.datetime) -> None:
        self._unclaim(task_id, reviewer_id, now, skipped=False)

    def skip(self, task_id: str, reviewer_id: str, now: dt.datetime) -> None:
        self._unclaim(task_id, reviewer_id, now, skipped=True)

    def _unclaim(self, task_id: str, reviewer_id: str, now: dt.datetime, skipped: bool) -> None:
        with self.sessions() as session, session.begin():
            row = owned_task(session, task_id, reviewer_id)
            row.claimed_by = None
            row.claimed_at = None
            row.available_at = now
            exclusion = session.get(ReviewExclusionRow, (row.review_id, reviewer_id))
            if skipped and exclusion is not None:
                exclusion.reason = "skipped"
            elif exclusion is not None and exclusion.reason == "claimed":
                session.delete(exclusion)

    def queue_stats(
        self, scope: QueueScope, now: dt.datetime, sla_for: Callable[[str], int]
    ) -> list[QueueStats]:
        task = ReviewTaskRow
        waiting = func.sum(case((task.available_at <= now, 1), else_=0))
        query = (
            select(task.queue, func.count(), waiting, func.min(task.created_at))
            .where(task.status == "pending")
            .group_by(task.queue)
            .order_by(task.queue)
        )
        scope_filter = _scope_filter(scope)
        if scope_filter is not None:
            query = query.where(scope_filter)
        stats = []
        with self.sessions() as session:
            for queue, total, ready, oldest in session.execute(query).all():
                sla = sla_for(queue)
                overdue = (
                    session.scalar(
                        select(func.count()).where(
                            task.status == "pending",
                            task.queue == queue,
                            task.created_at < now - dt.timedelta(seconds=sla),
                        )
                    )
                    or 0
                )
                oldest_at = _aware(oldest)
                stats.append(
                    QueueStats(
                        queue,
                        int(ready or 0),
                        int(total) - int(ready or 0),
                        (now - oldest_at).total_seconds() if oldest_at else None,
                        sla,
                        int(overdue),
                    )
                )
        return stats


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite aggregates return the stored text
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


@dataclass
class _MemoryTask:
    id: str
    review_id: str
    moderation_id: str
    queue: str
    sort_key: dt.datetime
    created_at: dt.datetime
    available_at: dt.datetime
    status: str = "pending"
    claimed_by: str | None = None


class InMemoryReviewStore:
    """A ``ReviewStore`` in a dict, for tests of code that claims work."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.tasks: dict[str, _MemoryTask] = {}
        self.exclusions: dict[tuple[str, str], str] = {}

    def add_task(
        self,
        task_id: str,
        review_id: str,
        queue: str,
        created_at: dt.datetime,
        sort_key: dt.datetime | None = None,
        moderation_id: str = "",
    ) -> None:
        with self._lock:
            self.tasks[task_id] = _MemoryTask(
                task_id,
                review_id,
                moderation_id,
                queue,
                sort_key or created_at,
                created_at,
                created_at,
            )

    def exclude(self, review_id: str, reviewer_id: str, reason: str = "original") -> None:
        with self._lock:
            self.exclusions[(review_id, reviewer_id)] = reason

    def complete(self, task_id: str) -> None:
        with self._lock:
            self.tasks[task_id].status = "done"

    def claim_next(
        self, reviewer_id: str, scope: QueueScope, now: dt.datetime, lease_seconds: int
    ) -> ClaimedTask | None:
        with self._lock:
            ready = [
                task
                for task in self.tasks.values()
                if task.status == "pending"
                and task.available_at <= now
                and scope.allows(task.queue)
                and (task.review_id, reviewer_id) not in self.exclusions
            ]
            if not ready:
                return None
            task = min(ready, key=lambda item: (item.sort_key, item.id))
            previous = (task.review_id, task.claimed_by or "")
            if task.claimed_by != reviewer_id and self.exclusions.get(previous) == "claimed":
                del self.exclusions[previous]
            expires = now + dt.timedelta(seconds=lease_seconds)
            task.claimed_by, task.available_at = reviewer_id, expires
            self.exclusions[(task.review_id, reviewer_id)] = "claimed"
            return ClaimedTask(
                task.id, task.review_id, task.moderation_id, task.queue, reviewer_id, expires
            )

    def release(self, task_id: str, reviewer_id: str, now: dt.datetime) -> None:
        self._unclaim(task_id, reviewer_id, now, skipped=False)

    def skip(self, task_id: str, reviewer_id: str, now: dt.datetime) -> None:
        self._unclaim(task_id, reviewer_id, now, skipped=True)

    def _unclaim(self, task_id: str, reviewer_id: str, now: dt.datetime, skipped: bool) -> None:
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None:
                raise ResourceNotFoundException(f"No review task {task_id!r}.")
            if task.status != "pending":
                raise ConflictException("This task is already finished.")
            if task.claimed_by != reviewer_id:
                raise LeaseLostException()
            task.claimed_by, task.available_at = None, now
            key = (task.review_id, reviewer_id)
            if skipped:
                self.exclusions[key] = "skipped"
            elif self.exclusions.get(key) == "claimed":
                del self.exclusions[key]

    def queue_stats(
        self, scope: QueueScope, now: dt.datetime, sla_for: Callable[[str], int]
    ) -> list[QueueStats]:
        with self._lock:
            queues = sorted(
                {
                    task.queue
                    for task in self.tasks.values()
                    if task.status == "pending" and scope.allows(task.queue)
                }
            )
            stats = []
            for queue in queues:
                pending = [
                    t for t in self.tasks.values() if t.status == "pending" and t.queue == queue
                ]
                ready = [t for t in pending if t.available_at <= now]
                oldest = min(t.created_at for t in pending)
                sla = sla_for(queue)
                overdue = sum(1 for t in pending if t.created_at < now - dt.timedelta(seconds=sla))
                stats.append(
                    QueueStats(
                        queue,
                        len(ready),
                        len(pending) - len(ready),
                        (now - oldest).total_seconds(),
                        sla,
                        overdue,
                    )
                )
            return stats
