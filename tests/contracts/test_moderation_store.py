"""The contract every ModerationStore passes (in memory, SQLite, PostgreSQL): a request stored
once, a decision written at most once, a reviewer's verdict recorded, pages of moderations and
the history backtests replay."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from contract_databases import Database

from modgate.errors import InvalidParameterException, ResourceNotFoundException
from modgate.moderation.memory import InMemoryModerationStore
from modgate.moderation.models import ModerationExtra, ModerationQuery, NewModeration
from modgate.moderation.store import (
    ModerationStore,
    SqlModerationStore,
)

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
LABELS = [{"Name": "Explicit", "Confidence": 93.0, "ParentName": "", "TaxonomyLevel": 1}]


@dataclass
class Harness:
    store: ModerationStore
    session: Callable[[], contextlib.AbstractContextManager[Any]]
    media_id: str


@pytest.fixture
def harness(database: Database | None) -> Harness:
    if database is None:
        return Harness(InMemoryModerationStore(), contextlib.nullcontext, "med_1")
    return Harness(SqlModerationStore(), database.transaction, database.add_media())


def add(
    harness: Harness,
    moderation_id: str,
    at: dt.datetime = START,
    *,
    token: str | None = None,
    surface: str | None = None,
    fingerprint: str = "print",
    tenant: str = "default",
) -> str:
    context = {"region": "DE"} | ({"surface": surface} if surface else {})
    with harness.session() as session:
        harness.store.insert(
            session,
            NewModeration(
                id=moderation_id,
                media_id=harness.media_id,
                sha256="f" * 64,
                kind="image",
                created_at=at,
                context=context,
                client_request_token=token,
                external_id="ext-1",
                extra=ModerationExtra(
                    client="cms", client_metadata={"post": 7}, request_fingerprint=fingerprint
                ),
                tenant=tenant,
            ),
        )
    return moderation_id


def decision_values(action: str = "block", at: dt.datetime = START) -> dict[str, Any]:
    return {
        "status": "completed",
        "action": action,
        "rule_id": "explicit",
        "policy_version": "a" * 64,
        "decision": {"action": action, "reasons": ["why"]},
        "decided_at": at,
        "updated_at": at,
        "final_action": None if action == "review" else action,
        "labels": LABELS,
        "content_types": [],
        "model_version": "marker",
    }


def test_a_request_is_stored_queued_with_its_extras(harness: Harness) -> None:
    add(harness, "mod_1", token="tok-1", surface="comments")
    with harness.session() as session:
        record = harness.store.get(session, "mod_1")
        extra = harness.store.extra(session, "mod_1")
        used = harness.store.by_token(session, "tok-1", "default")
        assert harness.store.status(session, "mod_1") == "queued"
        assert harness.store.get(session, "mod_missing") is None
        assert harness.store.by_token(session, "tok-other", "default") is None
    assert record is not None
    assert (record.status, record.surface, record.context) == (
        "queued",
        "comments",
        {"region": "DE", "surface": "comments"},
    )
    assert record.action is None and record.final_action is None
    assert extra is not None and extra.client_metadata == {"post": 7}
    assert used is not None and (used.moderation_id, used.request_fingerprint) == ("mod_1", "print")


def test_a_tenant_reads_only_its_own_moderations_and_tokens(harness: Harness) -> None:
    add(harness, "mod_a", START, token="tok", tenant="acme")
    add(harness, "mod_b", START + dt.timedelta(seconds=1), token="tok", tenant="globex")
    with harness.session() as session:
        assert harness.store.get(session, "mod_a", "globex") is None
        assert harness.store.extra(session, "mod_a", "globex") is None
        assert harness.store.status(session, "mod_a", "globex") is None
        record = harness.store.get(session, "mod_a", "acme")
        assert record is not None and record.tenant == "acme"
        assert harness.store.get(session, "mod_a") is not None  # internal readers: any tenant
        uses = [harness.store.by_token(session, "tok", tenant) for tenant in ("acme", "globex")]
        assert [use.moderation_id if use else None for use in uses] == ["mod_a", "mod_b"]
        assert harness.store.by_token(session, "tok", "initech") is None
        page = harness.store.list(session, ModerationQuery(tenant="globex"))
        everyone = harness.store.list(session, ModerationQuery())
    assert [r.id for r in page.records] == ["mod_b"]
    assert [r.id for r in everyone.records] == ["mod_b", "mod_a"]


def test_many_moderations_are_read_for_replay_at_once(harness: Harness) -> None:
    add(harness, "mod_a", START, surface="kids", tenant="acme")
    add(harness, "mod_b", START, tenant="acme")
    add(harness, "mod_c", START, tenant="globex")
    with harness.session() as session:
        harness.store.decide(session, "mod_a", decision_values("review"))
        verdict = {"action": "allow", "reviewers": 1}
        harness.store.record_verdict(session, "mod_a", verdict, "allow", START)
    names = ["mod_a", "mod_b", "mod_c", "mod_missing", "mod_a"]
    with harness.session() as session:
        mine = harness.store.replay_items(session, names, "acme")
        everyone = harness.store.replay_items(session, names)
        assert harness.store.replay_items(session, [], "acme") == {}
    assert sorted(mine) == ["mod_a", "mod_b"]
    assert sorted(everyone) == ["mod_a", "mod_b", "mod_c"]
    decided, queued = mine["mod_a"], mine["mod_b"]
    assert (decided.status, decided.surface, decided.tenant) == ("completed", "kids", "acme")
    assert (decided.action, decided.rule_id, decided.final_action) == (
        "review",
        "explicit",
        "allow",
    )
    assert decided.model_version == "marker" and decided.sha256 == "f" * 64
    assert decided.verdict == verdict and decided.kind == "image"
    assert decided.context == {"region": "DE", "surface": "kids"}
    assert (queued.status, queued.model_version, queued.verdict) == ("queued", None, None)


def test_a_decision_is_written_once(harness: Harness) -> None:
    add(harness, "mod_1")
    with harness.session() as session:
        decided = harness.store.decide(session, "mod_1", decision_values("block"))
    assert decided is not None
    assert (decided.id, decided.status, decided.action, decided.final_action) == (
        "mod_1",
        "completed",
        "block",
        "block",
    )
    with harness.session() as session:  # a late worker changes nothing
        assert harness.store.decide(session, "mod_1", decision_values("allow")) is None
        record = harness.store.get(session, "mod_1")
    assert record is not None and record.action == "block" and record.labels == LABELS


def test_a_failed_moderation_can_still_be_decided(harness: Harness) -> None:
    add(harness, "mod_1")
    failed = decision_values("review") | {"status": "failed", "error": {"code": "X"}}
    with harness.session() as session:
        assert harness.store.decide(session, "mod_1", failed) is not None
    with harness.session() as session:
        decided = harness.store.decide(session, "mod_1", decision_values("allow"))
    assert decided is not None and decided.action == "allow"


def test_a_decision_writes_only_its_own_columns(harness: Harness) -> None:
    add(harness, "mod_1")
    with harness.session() as session, pytest.raises(ValueError, match="verdict"):
        harness.store.decide(session, "mod_1", decision_values() | {"verdict": {}})


def test_a_reviewers_verdict_becomes_the_final_action(harness: Harness) -> None:
    add(harness, "mod_1")
    with harness.session() as session:
        harness.store.decide(session, "mod_1", decision_values("review"))
    later = START + dt.timedelta(hours=1)
    with harness.session() as session:
        updated = harness.store.record_verdict(
            session, "mod_1", {"action": "allow", "reviewers": 1}, "allow", later
        )
    assert (updated.action, updated.final_action, updated.verdict) == (
        "review",
        "allow",
        {"action": "allow", "reviewers": 1},
    )
    assert updated.updated_at == later
    with harness.session() as session, pytest.raises(ResourceNotFoundException):
        harness.store.record_verdict(session, "mod_missing", {}, "allow", later)


def test_pages_come_newest_first_with_filters_and_a_cursor(harness: Harness) -> None:
    for n in range(5):
        add(harness, f"mod_{n}", START + dt.timedelta(minutes=n))
    with harness.session() as session:
        harness.store.decide(session, "mod_3", decision_values("block"))
        first = harness.store.list(session, ModerationQuery(limit=2))
        assert first.next_cursor is not None
        second = harness.store.list(session, ModerationQuery(limit=2, cursor=first.next_cursor))
        rest = harness.store.list(session, ModerationQuery(limit=2, cursor=second.next_cursor))
        blocked = harness.store.list(session, ModerationQuery({"action": "block", "status": None}))
        window = harness.store.list(
            session,
            ModerationQuery(
                created_after=START + dt.timedelta(minutes=1),
                created_before=START + dt.timedelta(minutes=3),
            ),
        )
    assert [r.id for r in first.records + second.records + rest.records] == [
        "mod_4",
        "mod_3",
        "mod_2",
        "mod_1",
        "mod_0",
    ]
    assert rest.next_cursor is None
    assert [r.id for r in blocked.records] == ["mod_3"]
    assert [r.id for r in window.records] == ["mod_2", "mod_1"]


def test_a_listing_refuses_unknown_filters_and_limits() -> None:
    with pytest.raises(InvalidParameterException, match="Unknown filter 'colour'"):
        ModerationQuery({"colour": "red"})
    with pytest.raises(InvalidParameterException, match="between 1 and 500"):
        ModerationQuery(limit=501)


def test_history_replays_decided_moderations_oldest_first(harness: Harness) -> None:
    for n, surface in enumerate(["comments", "profile", "comments", "comments"]):
        add(harness, f"mod_{n}", START + dt.timedelta(days=n), surface=surface)
        if n < 3:  # the last one has no detections yet
            with harness.session() as session:
                harness.store.decide(session, f"mod_{n}", decision_values("block"))
    with harness.session() as session:
        every = list(harness.store.history(session))
        comments = list(harness.store.history(session, surface="comments"))
        window = list(
            harness.store.history(
                session, since=START + dt.timedelta(days=1), until=START + dt.timedelta(days=2)
            )
        )
        first = list(harness.store.history(session, limit=1, batch=1))
    assert [h.id for h in every] == ["mod_0", "mod_1", "mod_2"]
    assert [h.id for h in comments] == ["mod_0", "mod_2"]
    assert [h.id for h in window] == ["mod_1"] and [h.id for h in first] == ["mod_0"]
    assert every[0].labels == LABELS and every[0].action == "block"
    assert every[0].context == {"region": "DE", "surface": "comments"}
