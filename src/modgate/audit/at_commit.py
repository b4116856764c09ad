"""Audit entries appended when their transaction commits.

Appending takes the log's lock (the ``audit_head`` row) until the transaction ends. A moderation
event is recorded early in its transaction (``moderation.created`` first, the decision after),
so appending at once held that lock, on PostgreSQL a row lock every writer waits for, through
all the rest of the transaction: writers ran one at a time however many the database could run.
``append_at_commit`` keeps the entry with the session, and a ``before_commit`` hook appends the
transaction's entries together (one lock, one head write) as it commits; the lock is then held
from there to the commit only. The entries still commit with their change or not at all:

- a SAVEPOINT released appends the entries kept since it began (inside it), and one rolled
  back drops them with its other writes;
- a transaction rolled back drops them all.

Entries appended directly (``append``) in the same transaction come before these.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from modgate.audit.log import Record, append_many, check_record

_PENDING = "modgate.audit.pending"  # records kept to append at commit, in order
_MARKS = "modgate.audit.marks"  # id(savepoint) -> how many were kept when it began


def append_at_commit(session: Session, record: Record) -> None:
    """Append ``record`` to the audit log when ``session``'s transaction (or the SAVEPOINT it
    is in) commits. Raises ``ValueError`` at once for a malformed record, as ``append`` does."""
    check_record(record)
    session.info.setdefault(_PENDING, []).append(record)


@event.listens_for(Session, "after_transaction_create")
def _savepoint_began(session: Session, transaction: Any) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[id(transaction)] = len(session.info.get(_PENDING, ()))


@event.listens_for(Session, "before_commit")
def _append_kept(session: Session) -> None:
    pending: list[Record] | None = session.info.get(_PENDING)
    start = 0
    if session.in_nested_transaction():
        savepoint = session.get_nested_transaction()
        start = session.info.get(_MARKS, {}).pop(id(savepoint), 0)
    if not pending or len(pending) <= start:
        return
    records = pending[start:]
    del pending[start:]
    append_many(session, records)


@event.listens_for(Session, "after_soft_rollback")
def _drop_kept(session: Session, previous_transaction: Any) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)
        return
    start = session.info.get(_MARKS, {}).pop(id(previous_transaction), None)
    pending = session.info.get(_PENDING)
    if start is not None and pending is not None:
        del pending[start:]
