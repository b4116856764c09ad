"""Group commit: the writes of concurrent requests committed together, one flush to disk.

On SQLite every commit flushes the WAL to disk (``synchronous=FULL``) and writers take turns, so
when several requests write at once each waits for the flushes of all those before it: the
disk's flush time, not the work, bounds how many items a second are accepted.
``GroupCommit.run(work)`` queues ``work`` (a function that writes in the session it is given).
A caller that finds no batch being written leads: it writes every queued work in one
transaction, each inside its own SAVEPOINT (a work that raises is rolled back alone and its
caller gets the exception; the others go on), commits once, and wakes each caller with its
result. Works queued meanwhile wait for the next batch, led by one of their callers. A caller
returns only once the commit holding its work is done: what it answers is on disk.

On PostgreSQL each work runs in a transaction of its own: row locks let writers run side by
side, and the server already flushes concurrent commits together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import transaction

T = TypeVar("T")

# Works written in one transaction at most (a bound on how long one commit holds the lock).
MAX_BATCH = 32


class _Work(Generic[T]):
    """One caller's work, its result or error, and the event that wakes the caller."""

    def __init__(self, work: Callable[[Session], T]) -> None:
        self.work = work
        self.result: T | None = None
        self.error: BaseException | None = None
        self.done = False
        self.lead = False
        self.woken = threading.Event()


class GroupCommit:
    """Runs works in transactions shared with concurrent callers (SQLite), or each in its own
    (other databases)."""

    def __init__(self, sessions: sessionmaker[Session], max_batch: int = MAX_BATCH) -> None:
        self.sessions = sessions
        self.max_batch = max_batch
        bind = sessions.kw.get("bind")
        self.grouped = bind is not None and bind.dialect.name == "sqlite"
        self._lock = threading.Lock()
        self._queued: list[_Work[object]] = []
        self._leading = False

    def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a transaction and return its result once that is committed; raise
        what it raised (its writes rolled back), or what the commit raised."""
        if not self.grouped:
            with transaction(self.sessions) as session:
                return work(session)
        item: _Work[T] = _Work(work)
        with self._lock:
            self._queued.append(item)  # type: ignore[arg-type]
            item.lead = not self._leading
            self._leading = True
        while not item.done:
            if item.lead:
                item.lead = False
                self._write_batch()
            else:
                item.woken.wait()
                item.woken.clear()
        if item.error is not None:
            raise item.error
        return item.result  # type: ignore[return-value]

    def _write_batch(self) -> None:
        """Write the queued works (up to ``max_batch``) in one transaction, wake their callers,
        and hand the lead to a caller still waiting, if any."""
        with self._lock:
            batch, self._queued = self._queued[: self.max_batch], self._queued[self.max_batch :]
        try:
            with transaction(self.sessions) as session:
                for item in batch:
                    try:
                        with session.begin_nested():
                            item.result = item.work(session)
                    except Exception as exc:  # rolled back to its savepoint: the others go on
                        item.error = exc
        except BaseException as exc:  # the transaction failed: none of it was written
            for item in batch:
                if item.error is None:
                    item.error, item.result = exc, None
            if not isinstance(exc, Exception):
                raise
        finally:
            with self._lock:
                nxt = self._queued[0] if self._queued else None
                if nxt is None:
                    self._leading = False
                else:
                    nxt.lead = True
            for item in batch:
                item.done = True
                item.woken.set()
            if nxt is not None:
                nxt.woken.set()
