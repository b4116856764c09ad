"""How a stream ends, the one way for the worker (the source ended, was lost, the longest
duration passed, the policy terminated it) and for a client's stop: in one transaction the
stream's open segments close (``stream.segment.ended`` each), its status and reason are set,
its hold is released and ``stream.ended`` is recorded (each event with its audit entry).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from modgate.events import record
from modgate.events.models.streams import StreamEnded, StreamSegmentEnded
from modgate.streams.models import segment_row_json
from modgate.streams.store import open_segments
from modgate.streams.tables import StreamRow


def finish(
    session: Session,
    row: StreamRow,
    status: str,
    reason: str,
    now: dt.datetime,
    actor: str | None = None,
) -> None:
    """End ``row`` (locked in ``session``) with ``status`` and ``reason``."""
    for segment in open_segments(session, row.id):
        segment.end_ms = segment.last_ms = max(segment.last_ms, segment.start_ms + 1)
        record(
            session,
            StreamSegmentEnded(
                stream_id=row.id,
                tenant=row.tenant,
                external_id=row.external_id,
                segment_id=segment.id,
                segment=segment_row_json(segment),
                thumbnail=segment.thumbnail,
                actor=actor,
            ),
        )
    row.status, row.reason = status, reason
    row.locked_by, row.locked_until = None, None
    row.ended_at = row.updated_at = now
    record(
        session,
        StreamEnded(
            stream_id=row.id,
            tenant=row.tenant,
            external_id=row.external_id,
            status=status,
            reason=reason,
            samples=row.samples,
            duration_ms=row.last_sample_ms,
            actor=actor,
        ),
    )


def give_up_if_worn(session: Session, row: StreamRow, max_holds: int, now: dt.datetime) -> bool:
    """End ``row`` (locked in ``session``) as failed when it was taken up more than
    ``max_holds`` times without ending: its run kept failing, or every worker holding it died.
    True when it ended so; then it is never taken up again."""
    if row.holds <= max_holds:
        return False
    reason = (
        f"the stream was taken up {row.holds} times without ending (its run kept failing or "
        "its workers stopped); see the workers' logs"
    )
    finish(session, row, "failed", reason, now)
    return True
