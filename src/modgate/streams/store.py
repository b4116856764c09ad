"""Where streams are kept: ``StreamStore`` and its SQL implementation.

A stream is claimed like a job (``modgate.pipeline.jobs``): one atomic ``UPDATE … RETURNING``
takes the oldest stream that is starting or live and held by no one (never held, or its lease
ran out), ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite. A worker
commits each sample's results only while it still holds the stream (``held``), so after a
takeover the worker that lost it writes nothing more. Reads are always by tenant: another
tenant's stream is not found, as a missing one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import decode_cursor, encode_cursor, table_of, transaction
from modgate.db.dialect import claim_one, for_update, lease_claim
from modgate.errors import ResourceNotFoundException
from modgate.streams.models import ACTIVE
from modgate.streams.tables import StreamRow, StreamSegmentRow

_streams = table_of(StreamRow)


_CLAIM = lease_claim(
    _streams, _streams.c.status.in_(ACTIVE), "holds", (_streams.c.id,), stamp="updated_at"
)


class StreamStore(Protocol):
    def get(self, stream_id: str, tenant: str | None) -> StreamRow:
        """The stream (of ``tenant`` when given); ResourceNotFoundException otherwise."""
        ...

    def page(
        self, tenant: str, limit: int, cursor: str | None, status: str | None = None
    ) -> tuple[Sequence[StreamRow], str | None]:
        """A page of ``tenant``'s streams, newest first, and the next page's cursor."""
        ...

    def segments(self, stream_id: str) -> Sequence[StreamSegmentRow]:
        """The stream's segments, by start."""
        ...

    def claim(self, worker: str, lease_seconds: float, now: dt.datetime) -> str | None:
        """Take the oldest stream no one holds for ``worker``; its id, or None."""
        ...

    def extend(self, stream_id: str, worker: str, lease_seconds: float, now: dt.datetime) -> bool:
        """Renew ``worker``'s lease; False when it no longer holds the stream (or it ended)."""
        ...

    def release(self, stream_id: str, worker: str) -> None:
        """Give up ``worker``'s hold at once (it stops), so another worker can take over."""
        ...


class SqlStreamStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, stream_id: str, tenant: str | None) -> StreamRow:
        with self.sessions() as session:
            return found(session.get(StreamRow, stream_id), stream_id, tenant)

    def page(
        self, tenant: str, limit: int, cursor: str | None, status: str | None = None
    ) -> tuple[Sequence[StreamRow], str | None]:
        query = select(StreamRow).where(StreamRow.tenant == tenant)
        if status is not None:
            query = query.where(StreamRow.status == status)
        if cursor:
            created_at, last_id = decode_cursor(cursor)
            query = query.where(
                or_(
                    StreamRow.created_at < created_at,
                    (StreamRow.created_at == created_at) & (StreamRow.id < last_id),
                )
            )
        query = query.order_by(StreamRow.created_at.desc(), StreamRow.id.desc()).limit(limit + 1)
        with self.sessions() as session:
            rows = list(session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
        return rows, next_cursor

    def segments(self, stream_id: str) -> Sequence[StreamSegmentRow]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(StreamSegmentRow)
                    .where(StreamSegmentRow.stream_id == stream_id)
                    .order_by(StreamSegmentRow.start_ms, StreamSegmentRow.label)
                )
            )

    def claim(self, worker: str, lease_seconds: float, now: dt.datetime) -> str | None:
        with self.sessions() as session:  # look first: idle polls never take the write lock
            free = session.scalar(
                select(StreamRow.id)
                .where(
                    StreamRow.status.in_(ACTIVE),
                    StreamRow.locked_until.is_(None) | (StreamRow.locked_until < now),
                )
                .limit(1)
            )
        if free is None:
            return None
        until = now + dt.timedelta(seconds=lease_seconds)
        row = claim_one(self.sessions, _CLAIM, {"now": now, "until": until, "worker": worker})
        return None if row is None else str(row[0])

    def extend(self, stream_id: str, worker: str, lease_seconds: float, now: dt.datetime) -> bool:
        with transaction(self.sessions) as session:
            result = session.execute(
                update(StreamRow)
                .where(
                    StreamRow.id == stream_id,
                    StreamRow.locked_by == worker,
                    StreamRow.status.in_(ACTIVE),
                )
                .values(locked_until=now + dt.timedelta(seconds=lease_seconds), updated_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    def release(self, stream_id: str, worker: str) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                update(StreamRow)
                .where(StreamRow.id == stream_id, StreamRow.locked_by == worker)
                .values(locked_by=None, locked_until=None)
            )


def found(row: StreamRow | None, stream_id: str, tenant: str | None) -> StreamRow:
    """``row`` when it exists and belongs to ``tenant`` (any tenant when None)."""
    if row is None or (tenant is not None and row.tenant != tenant):
        raise ResourceNotFoundException(f"No stream {stream_id!r}.")
    return row


def held(session: Session, stream_id: str, worker: str) -> StreamRow | None:
    """The stream, locked for this transaction, while ``worker`` still holds it and it is
    starting or live; None once it was stopped, ended or taken over."""
    query = select(StreamRow).where(
        StreamRow.id == stream_id, StreamRow.locked_by == worker, StreamRow.status.in_(ACTIVE)
    )
    return session.scalars(for_update(query, session)).first()


def active_count(session: Session, tenant: str) -> int:
    """How many of ``tenant``'s streams are starting or live."""
    query = select(func.count()).where(StreamRow.tenant == tenant, StreamRow.status.in_(ACTIVE))
    return int(session.scalar(query) or 0)


def open_segments(session: Session, stream_id: str) -> Sequence[StreamSegmentRow]:
    return list(
        session.scalars(
            select(StreamSegmentRow).where(
                StreamSegmentRow.stream_id == stream_id, StreamSegmentRow.end_ms.is_(None)
            )
        )
    )
