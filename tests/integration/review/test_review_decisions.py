"""Verdicts become decisions: consolidation strategies, escalation of ties to seniors, the
moderation's verdict and final action, events in the same transaction, and appeals heard by
someone new. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from review_helpers import FakeClock, add_moderation
from sqlalchemy import select

from modgate.db import make_engine, session_factory, upgrade
from modgate.errors import (
    AlreadyAppealedException,
    ConflictException,
    InvalidParameterException,
    UnknownLabelException,
)
from modgate.events import EventRow
from modgate.moderation.tables import ModerationRow
from modgate.review.models import Reviewer, VerdictInput
from modgate.review.service import ReviewService
from modgate.review.settings import ReviewSettings
from modgate.review.tables import ReviewDisagreementRow

NUDITY = "Explicit Nudity"


@pytest.fixture
def make_service(database_url: str) -> Iterator:  # type: ignore[type-arg]
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    sessions = session_factory(engine)
    clock = FakeClock()

    def build(**overrides: object) -> ReviewService:
        return ReviewService(sessions, ReviewSettings(**overrides), clock)  # type: ignore[arg-type]

    yield build
    engine.dispose()


def reviewer(name: str, senior: bool = False) -> Reviewer:
    return Reviewer(f"usr_{name}", name, ("*",), senior)


def verdict(action: str, right: bool = True, missed: tuple[str, ...] = ()) -> VerdictInput:
    return VerdictInput(action, {NUDITY: right}, missed, seconds_spent=12.5)


def review_item(service: ReviewService, reviewers: int, queue: str = "nudity") -> str:
    return add_moderation(
        service.sessions,
        queue=queue,
        reviewers=reviewers,
        settings=service.settings,
        clock=service.clock,
    )


def decide(
    service: ReviewService,
    people: list[Reviewer],
    actions: list[str],
    rights: list[bool] | None = None,
) -> dict:  # type: ignore[type-arg]
    result: dict = {}  # type: ignore[type-arg]
    rights = rights or [True] * len(actions)
    for person, action, right in zip(people, actions, rights, strict=True):
        claim = service.claim_next(person)
        assert claim is not None, f"{person.name} got nothing"
        result = service.submit_verdict(claim.task_id, person, verdict(action, right))
    return result


def moderation(service: ReviewService, moderation_id: str) -> ModerationRow:
    with service.sessions() as session:
        row = session.get(ModerationRow, moderation_id)
        assert row is not None
        return row


def events(service: ReviewService, moderation_id: str) -> list[EventRow]:
    with service.sessions() as session:
        return list(
            session.scalars(
                select(EventRow)
                .where(EventRow.moderation_id == moderation_id)
                .order_by(EventRow.id)
            )
        )


def test_majority_of_three_decides_and_records_disagreement(make_service) -> None:  # type: ignore[no-untyped-def]
    service = make_service(strategy="majority")
    item = review_item(service, 3)
    people = [reviewer("ann"), reviewer("bob"), reviewer("cat")]
    first = service.claim_next(people[0])
    assert first is not None
    waiting = service.submit_verdict(first.task_id, people[0], verdict("block"))
    assert waiting["status"] == "waiting" and moderation(service, item).final_action is None
    result = decide(service, people[1:], ["block", "allow"], [True, False])
    assert result["status"] == "decided" and result["final_action"] == "block"
    row = moderation(service, item)
    assert row.final_action == "block"
    assert row.verdict == {
        "action": "block",
        "labels": {NUDITY: True},
        "missed": [],
        "reviewers": 3,
        "strategy": "majority",
        "escalated": False,
    }
    names = [e.name for e in events(service, item)]
    assert names == ["review.created"] + ["review.verdict"] * 3 + ["review.completed"]
    with service.sessions() as session:
        split = {d.category: d.disagreed for d in session.scalars(select(ReviewDisagreementRow))}
    assert split == {"action": True, NUDITY: True}


def test_a_tie_escalates_to_a_senior_who_was_not_on_it(make_service) -> None:  # type: ignore[no-untyped-def]
    service = make_service(strategy="majority")
    item = review_item(service, 2)
    ann, bob = reviewer("ann", senior=True), reviewer("bob")
    result = decide(service, [ann, bob], ["block", "allow"])
    assert result["status"] == "escalated"
    assert moderation(service, item).final_action is None
    assert service.claim_next(bob) is None  # not senior
    assert service.claim_next(ann) is None  # senior, but decided the tied pass
    dee = reviewer("dee", senior=True)
    claim = service.claim_next(dee)
    assert claim is not None and claim.queue == "senior"
    final = service.submit_verdict(claim.task_id, dee, verdict("allow", right=False))
    assert final["final_action"] == "allow"
    row = moderation(service, item)
    assert row.final_action == "allow" and row.verdict is not None
    assert row.verdict["escalated"] is True and row.verdict["reviewers"] == 3
    assert row.verdict["labels"] == {NUDITY: False}
    assert "review.escalated" in [e.name for e in events(service, item)]


@pytest.mark.parametrize(
    ("strategy", "actions", "expected"),
    [
        ("any_block", ["allow", "block", "allow"], "block"),
        ("any_block", ["allow", "annotate", "allow"], "allow"),
        ("unanimous", ["block", "block", "block"], "block"),
        ("unanimous", ["block", "block", "allow"], None),
    ],
)
def test_strategies(
    make_service,
    strategy: str,
    actions: list[str],  # type: ignore[no-untyped-def]
    expected: str | None,
) -> None:
    service = make_service(queue_strategies={"nudity": strategy})
    item = review_item(service, 3)
    result = decide(service, [reviewer("a"), reviewer("b"), reviewer("c")], actions)
    assert moderation(service, item).final_action == expected
    assert result["status"] == ("decided" if expected else "escalated")


def test_missed_labels_and_bad_verdicts(make_service) -> None:  # type: ignore[no-untyped-def]
    service = make_service()
    item = review_item(service, 1)
    ann = reviewer("ann")
    claim = service.claim_next(ann)
    assert claim is not None
    with pytest.raises(InvalidParameterException, match="action must be one of"):
        service.submit_verdict(claim.task_id, ann, VerdictInput("delete", {NUDITY: True}))
    with pytest.raises(InvalidParameterException, match="missing: Explicit Nudity"):
        service.submit_verdict(claim.task_id, ann, VerdictInput("block", {}))
    with pytest.raises(InvalidParameterException, match="not flagged: Alcohol"):
        service.submit_verdict(
            claim.task_id, ann, VerdictInput("block", {NUDITY: True, "Alcohol": True})
        )
    with pytest.raises(UnknownLabelException, match="not a moderation label"):
        service.submit_verdict(claim.task_id, ann, verdict("block", missed=("Nudityy",)))
    service.submit_verdict(claim.task_id, ann, verdict("block", missed=("Graphic Violence",)))
    assert moderation(service, item).verdict["missed"] == ["Graphic Violence"]  # type: ignore[index]
    with pytest.raises(ConflictException):
        service.submit_verdict(claim.task_id, ann, verdict("allow"))


def test_a_lost_lease_refuses_the_late_verdict(make_service) -> None:  # type: ignore[no-untyped-def]
    service = make_service(lease_seconds=60)
    review_item(service, 1)
    ann, bob = reviewer("ann"), reviewer("bob")
    claim = service.claim_next(ann)
    assert claim is not None
    service.clock.advance(61)  # type: ignore[attr-defined]
    taken = service.claim_next(bob)
    assert taken is not None and taken.task_id == claim.task_id
    with pytest.raises(ConflictException, match="expired"):
        service.submit_verdict(claim.task_id, ann, verdict("block"))
    assert service.submit_verdict(taken.task_id, bob, verdict("block"))["status"] == "decided"


def test_appeal_goes_to_a_new_senior_and_can_overturn(make_service) -> None:  # type: ignore[no-untyped-def]
    service = make_service()
    item = review_item(service, 1)
    original = reviewer("ann", senior=True)
    decide(service, [original], ["block"])
    with pytest.raises(InvalidParameterException):
        service.appeal(item, "   ")
    appeal = service.appeal(item, "It is a painting in a museum.", appellant="user-77")
    assert appeal["status"] == "open" and appeal["previous_action"] == "block"
    with pytest.raises(AlreadyAppealedException):
        service.appeal(item, "again")
    assert service.claim_next(original) is None  # decided the original: never hears the appeal
    assert service.claim_next(reviewer("bob")) is None  # appeals are for seniors only
    judge = reviewer("dee", senior=True)
    claim = service.claim_next(judge)
    assert claim is not None and claim.queue == "appeals"
    result = service.submit_verdict(claim.task_id, judge, verdict("allow", right=False))
    assert result["appeal"]["outcome"] == "overturned"
    row = moderation(service, item)
    assert row.final_action == "allow"
    assert row.verdict["appeal"]["outcome"] == "overturned"  # type: ignore[index]
    resolved = [e for e in events(service, item) if e.name == "appeal.resolved"]
    assert resolved and resolved[0].payload["final_action"] == "allow"
    state = service.state(item)
    assert state is not None and state["appeal"]["outcome"] == "overturned"


def test_appeal_of_an_automatic_decision_and_of_an_undecided_item(make_service) -> None:  # type: ignore[no-untyped-def]
    service = make_service()
    auto = add_moderation(service.sessions, review=False, final_action="block")
    appeal = service.appeal(auto, "This is my own artwork.")
    assert appeal["previous_action"] == "block"
    pending = review_item(service, 1)
    with pytest.raises(ConflictException, match="no final decision"):
        service.appeal(pending, "please")
    judge = reviewer("dee", senior=True)
    claim = service.claim_next(judge, queue="appeals")
    assert claim is not None and claim.moderation_id == auto
    result = service.submit_verdict(claim.task_id, judge, verdict("block"))
    assert result["appeal"]["outcome"] == "upheld"
    assert moderation(service, auto).final_action == "block"


def test_review_state_stays_blind_until_decided(make_service) -> None:  # type: ignore[no-untyped-def]
    service = make_service()
    item = review_item(service, 2)
    state = service.state(item)
    assert state is not None and state["status"] == "queued" and state["queue"] == "nudity"
    ann = reviewer("ann")
    claim = service.claim_next(ann)
    assert claim is not None
    service.submit_verdict(claim.task_id, ann, verdict("block"))
    state = service.state(item)
    assert state is not None and state["status"] == "in_review"
    assert state["verdicts"] == {"submitted": 1, "needed": 2, "actions": {}}
    decide(service, [reviewer("bob")], ["block"])
    state = service.state(item)
    assert state is not None and state["status"] == "decided"
    assert state["verdicts"]["actions"] == {"block": 2}
    assert service.state("mod_missing") is None


def test_open_review_is_idempotent_and_reads_the_route(make_service) -> None:  # type: ignore[no-untyped-def]
    from modgate.review.tables import ReviewRow, ReviewTaskRow

    service = make_service(queue_sla_seconds={"nudity": 600})
    item = add_moderation(
        service.sessions, queue="nudity", reviewers=5, priority="urgent", settings=service.settings
    )
    with service.sessions() as session, session.begin():
        row = session.get(ModerationRow, item)
        again = service.lane.open(session, row)  # type: ignore[arg-type]
        reviews = list(session.scalars(select(ReviewRow)))
        tasks = list(session.scalars(select(ReviewTaskRow)))
    assert len(reviews) == 1 and again == reviews[0].id
    assert reviews[0].reviewers_needed == 3 and len(tasks) == 3  # clamped to A2I's 1-3
    assert reviews[0].priority == "urgent"
    assert (reviews[0].due_at - reviews[0].created_at).total_seconds() == 600
    assert [m["label"] for m in reviews[0].selected] == [NUDITY]  # only what triggered review


def test_reviewers_measure_the_flags(make_service) -> None:  # type: ignore[no-untyped-def]
    from modgate.review.quality import label_quality

    service = make_service()
    review_item(service, 3)
    review_item(service, 1)
    decide(
        service,
        [reviewer("a"), reviewer("b"), reviewer("c")],
        ["block", "block", "allow"],
        [True, True, False],
    )
    ann = reviewer("ann")
    claim = service.claim_next(ann)
    assert claim is not None
    service.submit_verdict(
        claim.task_id, ann, verdict("allow", right=False, missed=("Graphic Violence",))
    )
    with service.sessions() as session:
        rows = {row["label"]: row for row in label_quality(session)}
    assert rows[NUDITY]["confirmed"] == 2 and rows[NUDITY]["rejected"] == 2
    assert rows[NUDITY]["flag_precision"] == 0.5
    assert rows[NUDITY]["disagreement_rate"] == 1.0
    assert rows["Graphic Violence"]["missed"] == 1
    assert rows["action"]["disagreement_rate"] == 1.0
