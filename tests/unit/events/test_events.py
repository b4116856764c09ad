"""Typed events: each kind keeps its stored name and payload, and is documented."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from modgate.events import (
    EVENT_TYPES,
    WEBHOOK_EVENTS,
    AppealCreated,
    AppealResolved,
    ClearMediaRead,
    Event,
    EventRow,
    JobNotified,
    ModerationCompleted,
    ModerationCreated,
    PreviewRevealed,
    QualityChecked,
    ReviewCompleted,
    ReviewCreated,
    ReviewEscalated,
    record,
)

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
            moderation_id="mod_1", external_id="post-9", sha256="ab" * 32, actor="shop"
        ),
        "moderation.created",
        {"external_id": "post-9", "sha256": "ab" * 32},
        "shop",
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
            actor="ana",
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
        "ana",
    ),
    (
        ReviewCompleted(
            moderation_id="mod_1",
            moderation=SUMMARY,
            review_id="rev_1",
            verdict={"action": "block", "reviewers": 2},
            actor="usr_1",
        ),
        "review.completed",
        SUMMARY | {"review_id": "rev_1", "verdict": {"action": "block", "reviewers": 2}},
        "usr_1",
    ),
    (
        ReviewEscalated(
            moderation_id="mod_1",
            review_id="rev_1",
            escalation_id="rev_2",
            reason="tie",
            disagreements=("Violence", "Drugs"),
            actor="usr_2",
        ),
        "review.escalated",
        {
            "review_id": "rev_1",
            "escalation_id": "rev_2",
            "reason": "tie",
            "disagreements": ["Drugs", "Violence"],
        },
        "usr_2",
    ),
    (
        AppealCreated(
            moderation_id="mod_1",
            appeal_id="apl_1",
            review_id="rev_3",
            previous_action="block",
            appellant=None,
            actor="shop",
        ),
        "appeal.created",
        {"appeal_id": "apl_1", "review_id": "rev_3", "previous_action": "block", "appellant": None},
        "shop",
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
            actor="usr_3",
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
        "usr_3",
    ),
    (
        PreviewRevealed(moderation_id="mod_1", task_id="tsk_1", review_id="rev_1", actor="usr_1"),
        "preview.revealed",
        {"task_id": "tsk_1", "review_id": "rev_1"},
        "usr_1",
    ),
    (
        QualityChecked(
            moderation_id="mod_1",
            review_id="rev_4",
            machine_action="allow",
            outcome={"action": "block", "labels": {}, "missed": ["Graphic Violence"]},
            actor="usr_4",
        ),
        "quality.checked",
        {
            "review_id": "rev_4",
            "machine_action": "allow",
            "outcome": {"action": "block", "labels": {}, "missed": ["Graphic Violence"]},
        },
        "usr_4",
    ),
    (
        ClearMediaRead(
            moderation_id="mod_1",
            media_id="med_1",
            rendition="thumbnail",
            timestamp_ms=2500,
            actor="key_1",
        ),
        "media.clear_read",
        {"media_id": "med_1", "rendition": "thumbnail", "timestamp_ms": 2500},
        "key_1",
    ),
    (
        JobNotified(moderation_id="mod_1", message={"JobId": "mod_1", "Status": "SUCCEEDED"}),
        "rekognition.job.completed",
        {"JobId": "mod_1", "Status": "SUCCEEDED"},
        None,
    ),
]


@pytest.fixture
def session() -> Any:
    engine = create_engine("sqlite://")
    EventRow.__table__.create(engine)
    with Session(engine) as session:
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


def test_every_kind_is_covered_documented_and_named_once() -> None:
    assert sorted(EVENT_TYPES) == sorted(case[1] for case in CASES)
    for name, kind in EVENT_TYPES.items():
        assert kind.name == name
        assert (kind.__doc__ or "").startswith(f"``{name}``"), kind
    assert set(WEBHOOK_EVENTS) <= set(EVENT_TYPES)


def test_the_webhook_events_are_documented_in_the_readme() -> None:
    readme = README.read_text()
    for name in WEBHOOK_EVENTS:
        assert f"`{name}`" in readme
