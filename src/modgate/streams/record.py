"""Writing one sample's results, inside the transaction that checked the worker's hold: the
stream's progress (samples, time, origin, gaps), its segments (new rows with
``stream.segment.started``, longer ones, closed ones with ``stream.segment.ended``) and, when
the policy asks for something other than ``allow`` that it did not already ask for while these
labels were on screen, ``stream.action``. Each event writes its audit entry with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from modgate.db.base import new_id
from modgate.events import record
from modgate.events.models.streams import StreamAction, StreamSegmentEnded, StreamSegmentStarted
from modgate.pipeline.decide import Ruling
from modgate.streams.lifecycle import finish
from modgate.streams.models import open_segment_json
from modgate.streams.segments import OpenSegment, SegmentChanges
from modgate.streams.tables import StreamRow, StreamSegmentRow
from modgate.telemetry import after_commit, instruments


@dataclass(frozen=True, slots=True)
class SampleWrite:
    at_ms: int
    origin: float | None
    changes: SegmentChanges
    open_now: tuple[OpenSegment, ...]
    ruling: Ruling | None
    thumbnail: str | None
    gap: tuple[int, int] | None
    moment: str | None = None  # the moderation of a moment sent for review


def write_sample(
    session: Session, row: StreamRow, write: SampleWrite, now: dt.datetime
) -> dict[str, str]:
    """Write ``write`` for ``row`` (held, locked); the ids of the segments it opened, by
    label."""
    if row.status == "starting":
        row.status, row.started_at = "live", row.started_at or now
    row.origin_seconds = write.origin
    row.samples += 1
    row.last_sample_ms = write.at_ms
    row.updated_at = now
    if write.gap is not None:
        start, end = write.gap
        row.gaps = [*(row.gaps or []), {"from_ms": start, "to_ms": end}]
        row.skipped_ms += end - start
    for segment in write.changes.ended:
        if segment.key is None:
            continue
        session.execute(
            update(StreamSegmentRow)
            .where(StreamSegmentRow.id == segment.key)
            .values(end_ms=segment.last_ms, last_ms=segment.last_ms)
        )
        record(
            session,
            StreamSegmentEnded(
                stream_id=row.id,
                tenant=row.tenant,
                external_id=row.external_id,
                segment_id=segment.key,
                segment=open_segment_json(segment, False),
            ),
        )
    keys: dict[str, str] = {}
    for segment in write.changes.started:
        key = new_id("seg")
        keys[segment.label.name] = key
        label = segment.label
        session.add(
            StreamSegmentRow(
                id=key,
                stream_id=row.id,
                label=label.name,
                parent=label.parent or "",
                taxonomy_level=label.level or 1,
                confidence=label.confidence,
                start_ms=segment.start_ms,
                last_ms=segment.last_ms,
                thumbnail=write.thumbnail,
                created_at=now,
            )
        )
        record(
            session,
            StreamSegmentStarted(
                stream_id=row.id,
                tenant=row.tenant,
                external_id=row.external_id,
                segment_id=key,
                segment=open_segment_json(segment, True),
                thumbnail=write.thumbnail,
            ),
        )
    for segment in write.open_now:
        if segment.key is not None:
            session.execute(
                update(StreamSegmentRow)
                .where(StreamSegmentRow.id == segment.key)
                .values(last_ms=segment.last_ms, confidence=segment.label.confidence)
            )
    _act(session, row, write, now)
    _count(session, write)
    return keys


def _count(session: Session, write: SampleWrite) -> None:
    """Move the counters once the sample is committed."""
    started, ended = len(write.changes.started), len(write.changes.ended)
    skipped = (write.gap[1] - write.gap[0]) / 1000.0 if write.gap is not None else 0.0

    def count() -> None:
        meters = instruments()
        meters.stream_samples.inc()
        if skipped:
            meters.stream_skipped_seconds.inc(skipped)
        if started:
            meters.stream_events.labels(StreamSegmentStarted.name).inc(started)
        if ended:
            meters.stream_events.labels(StreamSegmentEnded.name).inc(ended)

    after_commit(session, count)


def _act(session: Session, row: StreamRow, write: SampleWrite, now: dt.datetime) -> None:
    ruling = write.ruling
    action = ruling.action if ruling is not None else None
    if action is None or action == "allow":
        row.last_action = None if not write.open_now else row.last_action
        return
    if action == row.last_action or ruling is None:
        return
    row.last_action = action
    terminate = action in (row.terminate_on or ())
    record(
        session,
        StreamAction(
            stream_id=row.id,
            tenant=row.tenant,
            external_id=row.external_id,
            action="terminate" if terminate else action,
            rule=ruling.rule,
            at_ms=write.at_ms,
            reasons=(f"the policy asked for {action}", *ruling.reasons)
            if terminate
            else tuple(ruling.reasons),
            policy_version=ruling.policy_version,
            moderation_id=write.moment,
        ),
    )
    if terminate:  # the stream was started to end on this action
        reason = f"terminated: the policy asked for {action} (rule {ruling.rule})"
        finish(session, row, "ended", reason, now)
