"""One contract every PolicyStore passes: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from contract_databases import Database

from modgate.errors import ConflictException, PolicyVersionNotFoundException
from modgate.policy import Context, policy_from_text
from modgate.policy.memory import InMemoryPolicyStore
from modgate.policy.shadow import evaluate_with_shadow, shadow_report
from modgate.policy.store import PolicyStore, SqlPolicyStore
from modgate.taxonomy.detections import ImageDetections, Label

POLICY_A = "policy: a\ncategories:\n  Explicit: {block: 90}\n"
POLICY_B = "policy: a\ncategories:\n  Explicit: {block: 70, review: 50}\n"
POLICY_C = "policy: a\ncategories:\n  Explicit: {review: 40}\n"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now


@pytest.fixture
def store(database: Database | None) -> PolicyStore:
    if database is None:
        return InMemoryPolicyStore(Clock())
    return SqlPolicyStore(database.sessions, Clock())


def test_save_is_by_content_hash_and_idempotent(store: PolicyStore) -> None:
    policy = policy_from_text(POLICY_A)
    first = store.save(policy, author="user:usr_ana", note="first")
    again = store.save(
        policy_from_text("# same content\n" + POLICY_A), author="user:usr_bo", note="x"
    )
    assert first.version == again.version == policy.version
    assert (again.author, again.note) == ("user:usr_ana", "first")
    assert store.get(policy.version[:12]).load().version == policy.version
    assert [v.version for v in store.versions()] == [policy.version]
    with pytest.raises(PolicyVersionNotFoundException):
        store.get("0" * 64)


def test_one_active_per_surface_with_history_and_rollback(store: PolicyStore) -> None:
    a, b, c = (policy_from_text(text) for text in (POLICY_A, POLICY_B, POLICY_C))
    for policy in (a, b, c):
        store.save(policy, author="user:usr_ana")
    assert store.active_for("kids") is None
    store.activate(a.version, "kids", actor="user:usr_ana", note="launch")
    store.activate(b.version, "kids", actor="user:usr_bo", note="tighten")
    store.activate(c.version, "dating", actor="user:usr_bo")
    active = store.active_for("kids")
    assert active is not None and active.version == b.version
    history = store.history("kids")
    assert [h.version for h in history] == [b.version, a.version]
    assert history[0].deactivated_at is None and history[1].deactivated_at is not None
    store.rollback("kids", actor="user:usr_ana")
    rolled = store.active_for("kids")
    assert rolled is not None and rolled.version == a.version
    assert [h.version for h in store.history("kids")] == [a.version, b.version, a.version]
    dating = store.active_for("dating")
    assert dating is not None and dating.version == c.version
    with pytest.raises(ConflictException):
        store.rollback("dating", actor="user:usr_ana")


def test_shadow_decisions_are_recorded_and_reported(store: PolicyStore) -> None:
    active, candidate = policy_from_text(POLICY_A), policy_from_text(POLICY_B)
    store.save(active, author="user:usr_ana")
    store.save(candidate, author="user:usr_ana")
    store.activate(active.version, "kids", actor="user:usr_ana")
    store.start_shadow(candidate.version, "kids", actor="user:usr_ana")
    assert [s.version for s in store.shadows_for("kids")] == [candidate.version]
    clock = Clock()
    outcomes = []
    for number, confidence in enumerate((95, 75, 55, 10)):
        detections = ImageDetections((Label("Explicit", confidence),))
        decision = evaluate_with_shadow(
            active,
            [s.load() for s in store.shadows_for("kids")],
            detections,
            Context(),
            surface="kids",
            recorder=store,
            clock=clock,
            moderation_id=f"mod_{number}",
        )
        outcomes.append(decision.action)
    assert outcomes == ["block", "allow", "allow", "allow"]  # the candidate is never enforced
    report = shadow_report(store, "kids")
    assert (report.total, report.agreed) == (4, 2)
    assert dict(report.changes) == {("allow", "block"): 1, ("allow", "review"): 1}
    window = shadow_report(store, "kids", since=clock.now - dt.timedelta(seconds=90))
    assert window.total == 2
    store.stop_shadow(candidate.version, "kids")
    assert store.shadows_for("kids") == []
