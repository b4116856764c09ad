"""Live streams as the API offers them: start (URL checked, limits applied), read, list, stop;
each one limited to the tenant asking (another tenant's stream is not found).

Starting checks the URL before anything is stored (``source.check_source_url``: scheme, shape,
and the outbound guard's SSRF rules with ``MODGATE_OUTBOUND_ALLOW``) and the tenant's limit of
concurrent streams; the stream is then stored ``starting`` with its ``stream.created`` event and
audit entry, for a worker to take up. Stopping ends it at once in one transaction (its open
segments close); the worker that holds it notices at its next sample or lease renewal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import new_id, transaction
from modgate.db.dialect import for_update
from modgate.errors import (
    ConflictException,
    InvalidParameterException,
    ResourceNotFoundException,
    StreamLimitExceededException,
)
from modgate.events import record
from modgate.events.models.streams import StreamCreated, StreamThumbnailRead
from modgate.outbound import OutboundGuard
from modgate.pipeline.inputs import clean_context
from modgate.policy import Context
from modgate.streams.lifecycle import finish
from modgate.streams.models import ACTIVE, TERMINABLE, stream_public
from modgate.streams.settings import StreamSettings
from modgate.streams.source import check_source_url
from modgate.streams.store import SqlStreamStore, active_count, found
from modgate.streams.tables import StreamRow

MAX_URL_LENGTH = 2048


class StreamService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: StreamSettings,
        guard: OutboundGuard,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.guard = guard
        self.clock = clock
        self.store = SqlStreamStore(sessions)

    def create(
        self,
        url: str,
        *,
        tenant: str,
        actor: str,
        context: dict[str, Any] | None = None,
        fps: float = 1.0,
        external_id: str | None = None,
        terminate_on: list[str] | None = None,
    ) -> dict[str, Any]:
        """Store a new stream for a worker to take up; the stream as the API shows it."""
        if len(url) > MAX_URL_LENGTH:
            raise InvalidParameterException(f"url must be at most {MAX_URL_LENGTH} characters.")
        if not 0 < fps <= self.settings.max_fps:
            raise InvalidParameterException(
                f"fps must be above 0 and at most {self.settings.max_fps:g}."
            )
        unknown = sorted(set(terminate_on or ()) - set(TERMINABLE))
        if unknown:
            raise InvalidParameterException(
                f"terminate_on takes policy actions from {list(TERMINABLE)}, not {unknown}."
            )
        context = clean_context(context)
        Context.from_dict(context, now=self.clock())  # refuse a bad context before storing
        check_source_url(self.guard, url)
        now = self.clock()
        with transaction(self.sessions) as session:
            if active_count(session, tenant) >= self.settings.per_tenant:
                raise StreamLimitExceededException(limit=self.settings.per_tenant)
            row = StreamRow(
                id=new_id("str"),
                tenant=tenant,
                url=url,
                external_id=external_id,
                context=context,
                fps=fps,
                terminate_on=sorted(set(terminate_on or ())),
                status="starting",
                holds=0,
                samples=0,
                skipped_ms=0,
                gaps=[],
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            record(
                session,
                StreamCreated(
                    stream_id=row.id, tenant=tenant, external_id=external_id, fps=fps, actor=actor
                ),
            )
        return stream_public(row, [])

    def get(self, stream_id: str, tenant: str | None) -> dict[str, Any]:
        row = self.store.get(stream_id, tenant)
        return stream_public(row, self.store.segments(row.id))

    def page(
        self, tenant: str, limit: int, cursor: str | None, status: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        rows, next_cursor = self.store.page(tenant, limit, cursor, status)
        return [stream_public(row, None) for row in rows], next_cursor

    def thumbnail_key(self, stream_id: str, segment_id: str, tenant: str | None) -> str:
        """The blob key of the picture that opened the segment; 404 when there is none."""
        row = self.store.get(stream_id, tenant)
        for segment in self.store.segments(row.id):
            if segment.id == segment_id and segment.thumbnail:
                return segment.thumbnail
        raise ResourceNotFoundException(f"No thumbnail for segment {segment_id!r}.")

    def log_clear_read(self, stream_id: str, segment_id: str, tenant: str, actor: str) -> None:
        """Record that ``actor`` is sent the clear picture (committed before it is)."""
        row = self.store.get(stream_id, tenant)
        with transaction(self.sessions) as session:
            record(
                session,
                StreamThumbnailRead(
                    stream_id=row.id,
                    tenant=row.tenant,
                    external_id=row.external_id,
                    segment_id=segment_id,
                    actor=actor,
                ),
            )

    def stop(self, stream_id: str, tenant: str | None, *, actor: str) -> dict[str, Any]:
        """End the stream now (``stopped``); a stream already over is a 409."""
        now = self.clock()
        with transaction(self.sessions) as session:
            query = for_update(select(StreamRow).where(StreamRow.id == stream_id), session)
            row = found(session.scalars(query).first(), stream_id, tenant)
            if row.status not in ACTIVE:
                raise ConflictException(f"Stream {stream_id} is {row.status} already.")
            finish(session, row, "stopped", "stopped by a client", now, actor=actor)
        return self.get(stream_id, tenant)
