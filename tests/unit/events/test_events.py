"""Typed events: each kind keeps its stored name and payload, and is documented."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from modgate.audit import KINDS, SYSTEM, AuditEntryRow, AuditHeadRow, canonical_json, payload_hash
from modgate.db import Base, import_tables
from modgate.events import (
    EVENT_TYPES,
    WEBHOOK_EVENTS,
    AppealCreated,
    AppealResolved,
    ClearMediaRead,
    Event,
    EventRow,
    JobCancelled,
    JobNotified,
    JobRetried,
    ModerationCompleted,
    ModerationCreated,
    PreviewRevealed,
    QualityChecked,
    ReviewCompleted,
    ReviewCreated,
    ReviewEscalated,
    ReviewVerdictSubmitted,
    StreamAction,
    StreamCreated,
    StreamEnded,
    StreamEvent,
    StreamHeld,
    StreamSegmentEnded,
    StreamSegmentStarted,
    StreamThumbnailRead,
    record,
)
from modgate.media.tables import MediaRow
from modgate.moderation.models import ModerationExtra, NewModeration
from modgate.moderation.store import SqlModerationStore

README = Path(__file__).parents[3] / "README.md"
SUMMARY = {
    "moderation_id": "mod_1",
    "status": "completed",
    "action": "review",
    "final_action": "block",
    "reasons": [],
}
DUE = dt.datetime(2026, 5, 1, 12, 30, tzinfo=dt.UTC)

# Each event, and the row it is stored as (the rows stored before events were typed).
CASES: list[tuple[Event, str, dict[str, Any], str | None]] = [
    (
        ModerationCreated(
            moderation_id="mod_1",
            external_id="post-9",
            sha256="ab" * 32,
            actor="key:key_shop",
            kind="text",
        ),
        "moderation.created",
        {"external_id": "post-9", "sha256": "ab" * 32, "kind": "text"},
        "key:key_shop",
    ),
    (
        ModerationCompleted(moderation_id="mod_1", moderation=SUMMARY),
        "moderation.completed",
        SUMMARY,
        None,
    ),
    (
        ReviewCreated(
            moderation_id="mod_1",
            review_id="rev_1",
            kind="policy",
            queue="default",
            priority="high",
            reviewers=2,
            due_at=DUE,
            actor="user:usr_ana",
        ),
        "review.created",
        {
            "review_id": "rev_1",
            "kind": "policy",
            "queue": "default",
            "priority": "high",
            "reviewers": 2,
            "due_at": DUE.isoformat(),
        },
        "user:usr_ana",
    ),
    (
        ReviewCompleted(
            moderation_id="mod_1",
            moderation=SUMMARY,
            review_id="rev_1",
            verdict={"action": "block", "reviewers": 2},
            actor="user:usr_1",
        ),
        "review.completed",
        SUMMARY | {"review_id": "rev_1", "verdict": {"action": "block", "reviewers": 2}},
        "user:usr_1",
    ),
    (
        ReviewEscalated(
            moderation_id="mod_1",
            review_id="rev_1",
            escalation_id="rev_2",
            reason="tie",
            disagreements=("Violence", "Drugs"),
            actor="user:usr_2",
        ),
        "review.escalated",
        {
            "review_id": "rev_1",
            "escalation_id": "rev_2",
            "reason": "tie",
            "disagreements": ["Drugs", "Violence"],
        },
        "user:usr_2",
    ),
    (
        AppealCreated(
            moderation_id="mod_1",
            appeal_id="apl_1",
            review_id="rev_3",
            previous_action="block",
            appellant=None,
            actor="key:key_shop",
        ),
        "appeal.created",
        {"appeal_id": "apl_1", "review_id": "rev_3", "previous_action": "block", "appellant": None},
        "key:key_shop",
    ),
    (
        AppealResolved(
            moderation_id="mod_1",
            moderation=SUMMARY,
            appeal_id="apl_1",
            review_id="rev_3",
            outcome="overturned",
            previous_action="block",
            final_action="allow",
            labels={"Explicit": False},
            missed=[],
            actor="user:usr_3",
        ),
        "appeal.resolved",
        SUMMARY
        | {
            "appeal_id": "apl_1",
            "review_id": "rev_3",
            "outcome": "overturned",
            "previous_action": "block",
            "final_action": "allow",
            "labels": {"Explicit": False},
            "missed": [],
        },
        "user:usr_3",
    ),
    (
        PreviewRevealed(
            moderation_id="mod_1", task_id="tsk_1", review_id="rev_1", actor="user:usr_1"
        ),
        "preview.revealed",
        {"task_id": "tsk_1", "review_id": "rev_1"},
        "user:usr_1",
    ),
    (
        QualityChecked(
            moderation_id="mod_1",
            review_id="rev_4",
            machine_action="allow",
            outcome={"action": "block", "labels": {}, "missed": ["Graphic Violence"]},
            actor="user:usr_4",
        ),
        "quality.checked",
        {
            "review_id": "rev_4",
            "machine_action": "allow",
            "outcome": {"action": "block", "labels": {}, "missed": ["Graphic Violence"]},
        },
        "user:usr_4",
    ),
    (
        ClearMediaRead(
            moderation_id="mod_1",
            media_id="med_1",
            rendition="thumbnail",
            timestamp_ms=2500,
            actor="key:key_1",
        ),
        "media.clear_read",
        {"media_id": "med_1", "rendition": "thumbnail", "timestamp_ms": 2500},
        "key:key_1",
    ),
    (
        ReviewVerdictSubmitted(
            moderation_id="mod_1",
            verdict_id="vrd_1",
            task_id="tsk_1",
            review_id="rev_1",
            action="block",
            labels={"Explicit": True},
            missed=("Drugs",),
            actor="user:usr_1",
        ),
        "review.verdict",
        {
            "verdict_id": "vrd_1",
            "task_id": "tsk_1",
            "review_id": "rev_1",
            "action": "block",
            "labels": {"Explicit": True},
            "missed": ["Drugs"],
        },
        "user:usr_1",
    ),
    (
        JobCancelled(moderation_id="mod_1", job_id="job_1", actor="cli:ops@host"),
        "job.cancelled",
        {"job_id": "job_1"},
        "cli:ops@host",
    ),
    (
        JobRetried(moderation_id="mod_1", job_id="job_1", actor="cli:ops@host"),
        "job.retried",
        {"job_id": "job_1"},
        "cli:ops@host",
    ),
    (
        JobNotified(moderation_id="mod_1", message={"JobId": "mod_1", "Status": "SUCCEEDED"}),
        "rekognition.job.completed",
        {"JobId": "mod_1", "Status": "SUCCEEDED"},
        None,
    ),
]

SEGMENT = {"StartTimestampMillis": 3000, "ModerationLabel": {"Name": "Violence"}}
ABOUT = {"stream_id": "str_1", "external_id": "cam-1"}
# Events about a live stream: no moderation; the tenant is the stream's.
STREAM_CASES: list[tuple[StreamEvent, str, dict[str, Any]]] = [
    (
        StreamCreated(stream_id="str_1", tenant="tv", external_id="cam-1", fps=2.0),
        "stream.created",
        ABOUT | {"fps": 2.0},
    ),
    (
        StreamHeld(stream_id="str_1", tenant="tv", external_id="cam-1", worker="w", resume_ms=9),
        "stream.held",
        ABOUT | {"worker": "w", "resume_ms": 9},
    ),
    (
        StreamSegmentStarted(
            stream_id="str_1", tenant="tv", external_id="cam-1", segment_id="seg_1",
            segment=SEGMENT, thumbnail="streams/str_1/3000.jpg",
        ),
        "stream.segment.started",
        ABOUT | {"segment_id": "seg_1", "segment": SEGMENT, "thumbnail": "streams/str_1/3000.jpg"},
    ),
    (
        StreamSegmentEnded(
            stream_id="str_1", tenant="tv", external_id="cam-1", segment_id="seg_1",
            segment=SEGMENT,
        ),
        "stream.segment.ended",
        ABOUT | {"segment_id": "seg_1", "segment": SEGMENT, "thumbnail": None},
    ),
    (
        StreamAction(
            stream_id="str_1", tenant="tv", external_id="cam-1", action="review", rule="r1",
            at_ms=3000, reasons=("Violence",), policy_version="abc",
        ),
        "stream.action",
        ABOUT | {
            "action": "review", "rule": "r1", "at_ms": 3000, "reasons": ["Violence"],
            "policy_version": "abc", "moderation_id": None,
        },
    ),
    (
        StreamThumbnailRead(
            stream_id="str_1", tenant="tv", external_id="cam-1", segment_id="seg_1",
            actor="key:key_1",
        ),
        "stream.thumbnail_read",
        ABOUT | {"segment_id": "seg_1"},
    ),
    (
        StreamEnded(
            stream_id="str_1", tenant="tv", external_id="cam-1", status="stopped",
            reason="stopped by a client", samples=12, duration_ms=6000, actor="key:key_1",
        ),
        "stream.ended",
        ABOUT | {
            "status": "stopped", "reason": "stopped by a client", "samples": 12,
            "duration_ms": 6000,
        },
    ),
]  # fmt: skip


@pytest.fixture
def session() -> Any:
    engine = create_engine("sqlite://")
    import_tables()
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(
            MediaRow(
                id="med_1", tenant="acme", sha256="f" * 64, kind="image", format="PNG",
                mime="image/png", size_bytes=10, blob_key="media/x",
            )
        )  # fmt: skip
        session.flush()
        SqlModerationStore().insert(
            session,
            NewModeration(
                id="mod_1", media_id="med_1", sha256="f" * 64, kind="image", created_at=DUE,
                extra=ModerationExtra(), tenant="acme",
            ),
        )  # fmt: skip
        session.add(AuditHeadRow(id=1, size=0, frontier=b""))
        yield session
    engine.dispose()


def _rows(session: Session) -> list[tuple[str, str | None, dict[str, Any], str | None]]:
    rows = session.scalars(select(EventRow).order_by(EventRow.id))
    return [(row.name, row.moderation_id, row.payload, row.actor) for row in rows]


@pytest.mark.parametrize(
    ("event", "name", "payload", "actor"), CASES, ids=[case[1] for case in CASES]
)
def test_a_recorded_event_stores_its_name_payload_and_actor(
    session: Session, event: Event, name: str, payload: dict[str, Any], actor: str | None
) -> None:
    record(session, event)
    assert _rows(session) == [(name, "mod_1", payload, actor)]
    session.commit()  # the audit entry is appended as the transaction commits
    entries = list(session.scalars(select(AuditEntryRow)))
    assert [(e.seq, e.kind, e.tenant, e.object) for e in entries] == [
        (0, name, "acme", "moderation:mod_1")
    ]
    assert entries[0].actor == (actor or SYSTEM)
    assert entries[0].payload_hash == payload_hash(payload)
    assert "appellant" not in entries[0].detail and "external_id" not in entries[0].detail


@pytest.mark.parametrize("event", [case[0] for case in CASES], ids=[case[1] for case in CASES])
def test_a_rolled_back_event_leaves_no_event_and_no_audit_entry(
    session: Session, event: Event
) -> None:
    session.commit()  # the moderation the events are about stays
    session.begin()
    record(session, event)
    session.rollback()
    assert _rows(session) == []
    assert list(session.scalars(select(AuditEntryRow))) == []
    record(session, event)  # the number the rolled-back entry had is used again
    session.commit()
    assert [e.seq for e in session.scalars(select(AuditEntryRow))] == [0]


def test_a_clear_read_of_media_no_moderation_names_is_audited_on_the_media(
    session: Session,
) -> None:
    record(session, ClearMediaRead(media_id="med_1", rendition="preview", actor="anonymous"))
    session.commit()
    entry = session.scalars(select(AuditEntryRow)).one()
    assert (entry.kind, entry.object, entry.tenant) == ("media.clear_read", "media:med_1", "acme")
    with pytest.raises(ValueError, match="tenant"):
        record(session, ClearMediaRead(media_id="med_gone", rendition="preview"))


def test_every_audit_detail_is_json_without_personal_fields() -> None:
    for event, *_ in CASES:
        detail = event.audit_detail()
        assert canonical_json(detail)
        assert not {"external_id", "appellant", "statement"} & set(detail)


@pytest.mark.parametrize(
    ("event", "name", "payload"), STREAM_CASES, ids=[case[1] for case in STREAM_CASES]
)
def test_a_stream_event_is_stored_and_audited_under_the_streams_tenant(
    session: Session, event: StreamEvent, name: str, payload: dict[str, Any]
) -> None:
    record(session, event)
    session.commit()  # the audit entry is appended as the transaction commits
    row = session.scalars(select(EventRow)).one()
    assert (row.name, row.moderation_id, row.tenant, row.payload) == (name, None, "tv", payload)
    entry = session.scalars(select(AuditEntryRow)).one()
    assert (entry.kind, entry.tenant, entry.object) == (name, "tv", "stream:str_1")
    assert entry.payload_hash == payload_hash(payload)
    assert "external_id" not in entry.detail


def test_every_kind_is_covered_documented_and_named_once() -> None:
    covered = [case[1] for case in CASES] + [case[1] for case in STREAM_CASES]
    assert sorted(EVENT_TYPES) == sorted(covered)
    for name, kind in EVENT_TYPES.items():
        assert kind.name == name
        assert (kind.__doc__ or "").startswith(f"``{name}``"), kind
    assert set(WEBHOOK_EVENTS) <= set(EVENT_TYPES)
    assert set(EVENT_TYPES) <= set(KINDS)  # each is an audit kind too


def test_the_webhook_events_are_documented_in_the_readme() -> None:
    readme = README.read_text()
    for name in WEBHOOK_EVENTS:
        assert f"`{name}`" in readme


def test_an_event_in_a_savepoint_rolled_back_leaves_no_audit_entry(session: Session) -> None:
    """Entries are appended as their transaction commits: a SAVEPOINT released appends its
    own, one rolled back drops them with its event rows."""
    session.commit()
    session.begin()
    record(session, JobRetried(moderation_id="mod_1", actor="cli:tests@localhost", job_id="j1"))
    with pytest.raises(RuntimeError), session.begin_nested():
        record(session, JobCancelled(moderation_id="mod_1", actor=None, job_id="j2"))
        raise RuntimeError("this work fails")
    with session.begin_nested():
        record(session, JobNotified(moderation_id="mod_1", message={"JobId": "mod_1"}))
    session.commit()
    assert [name for name, *_ in _rows(session)] == ["job.retried", "rekognition.job.completed"]
    entries = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)))
    # The released savepoint's entry went in as it was released; the rest at the commit.
    assert [(e.seq, e.kind) for e in entries] == [
        (0, "rekognition.job.completed"),
        (1, "job.retried"),
    ]
