"""Every change outside the moderation events writes its audit entry exactly once, in the
change's own transaction, on SQLite and PostgreSQL: user and key changes, sign-ins and refused
sign-ins, webhook endpoints, policy saves, activations, shadow starts, rollbacks and backtests.
A change that is refused or rolled back leaves no entry. (The moderation events — upload,
decision, reviews, verdicts, appeals, reveals, clear reads, job cancels and retries — write
theirs through ``events.record``: tests/unit/events/test_events.py, one per kind.)"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from modgate import audit
from modgate.auth.service import AuthService
from modgate.auth.settings import AuthSettings
from modgate.db import make_engine, session_factory, upgrade
from modgate.errors import (
    AuthenticationRequiredException,
    ModgateError,
)
from modgate.events.webhooks import Endpoint, SqlWebhookStore
from modgate.policy.loader import policy_from_text
from modgate.policy.store import SqlPolicyStore

ADMIN = "user:usr_admin"
PASSWORD = "correct horse battery"
POLICY_A = "policy: a\ncategories:\n  Explicit: {block: 90}\n"
POLICY_B = "policy: a\ncategories:\n  Explicit: {block: 70, review: 50}\n"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def auth(sessions: sessionmaker[Session]) -> AuthService:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return AuthService(sessions, AuthSettings(), hasher=cheap)


def _written(sessions: sessionmaker[Session], work: Callable[[], Any]) -> list[tuple[str, ...]]:
    """(kind, tenant, actor, object) of each entry ``work`` wrote, even when it raised."""
    with sessions() as session:
        before = audit.log.head(session)[0]
    with contextlib.suppress(ModgateError):  # a refused change: checked for no entry below
        work()
    with sessions() as session:
        rows = session.scalars(
            select(audit.AuditEntryRow)
            .where(audit.AuditEntryRow.seq >= before)
            .order_by(audit.AuditEntryRow.seq)
        )
        return [(r.kind, r.tenant, r.actor, r.object) for r in rows]


def test_user_changes(auth: AuthService, sessions: sessionmaker[Session]) -> None:
    made: list[Any] = []
    written = _written(
        sessions, lambda: made.append(auth.add_user("ann", PASSWORD, "reviewer", actor=ADMIN))
    )
    ann = f"user:{made[0].id}"
    assert written == [("user.created", "default", ADMIN, ann)]
    assert _written(sessions, lambda: auth.add_user("ann", PASSWORD, "auditor", actor=ADMIN)) == []
    for change in (
        lambda: auth.set_role("ann", "auditor", actor=ADMIN),
        lambda: auth.set_password("ann", PASSWORD + "!", actor=ADMIN),
        lambda: auth.set_disabled("ann", True, actor=ADMIN),
        lambda: auth.set_disabled("ann", False, actor=ADMIN),
    ):
        assert _written(sessions, change) == [("user.changed", "default", ADMIN, ann)]
    with sessions() as session:
        last = session.scalars(
            select(audit.AuditEntryRow).order_by(audit.AuditEntryRow.seq.desc())
        ).first()
    assert last is not None and '"disabled":false' in last.detail and PASSWORD not in last.detail
    assert _written(sessions, lambda: auth.set_role("bob", "auditor", actor=ADMIN)) == []


def test_sign_ins_and_refused_sign_ins(auth: AuthService, sessions: sessionmaker[Session]) -> None:
    user = auth.add_user("ann", PASSWORD, "reviewer", actor=ADMIN)
    ann = f"user:{user.id}"
    assert _written(sessions, lambda: auth.sign_in("ann", PASSWORD, "10.0.0.1")) == [
        ("sign_in.succeeded", "default", ann, ann)
    ]
    with pytest.raises(AuthenticationRequiredException):
        auth.sign_in("ann", "wrong password", "10.0.0.1")
    assert _written(sessions, lambda: auth.sign_in("ann", "wrong", "10.0.0.1")) == [
        ("sign_in.failed", "default", "anonymous", ann)
    ]
    assert _written(sessions, lambda: auth.sign_in("nobody", "wrong", "10.0.0.1")) == [
        ("sign_in.failed", "default", "anonymous", "user:unknown")
    ]
    with sessions() as session:
        details = [r.detail for r in session.scalars(select(audit.AuditEntryRow))]
    assert not [d for d in details if "10.0.0.1" in d or "nobody" in d]  # hashed only


def test_key_changes(auth: AuthService, sessions: sessionmaker[Session]) -> None:
    made: list[Any] = []
    written = _written(
        sessions,
        lambda: made.append(auth.create_key("feed", ["audit:read"], "acme", actor=ADMIN)[1]),
    )
    key = f"api_key:{made[0].id}"
    assert written == [("api_key.created", "acme", ADMIN, key)]
    assert _written(sessions, lambda: auth.create_key("x", ["nope"], actor=ADMIN)) == []
    assert _written(sessions, lambda: auth.revoke_key(made[0].id, actor=ADMIN)) == [
        ("api_key.revoked", "acme", ADMIN, key)
    ]
    assert _written(sessions, lambda: auth.revoke_key(made[0].id, actor=ADMIN)) == []  # once
    assert _written(sessions, lambda: auth.revoke_key("0" * 16, actor=ADMIN)) == []


def test_webhook_changes(sessions: sessionmaker[Session]) -> None:
    store = SqlWebhookStore(sessions)
    endpoint = Endpoint(
        "whk_1", "https://example.com/hook", ("moderation.completed",), "s" * 32, "feed", True,
        dt.datetime.now(dt.UTC), "acme",
    )  # fmt: skip
    actor = "key:0123456789abcdef"
    assert _written(sessions, lambda: store.add_endpoint(endpoint, actor=actor)) == [
        ("webhook.created", "acme", actor, "webhook:whk_1")
    ]
    other = "key:fedcba9876543210"
    assert _written(sessions, lambda: store.deactivate("whk_1", "globex", actor=other)) == []
    assert _written(sessions, lambda: store.deactivate("whk_1", "acme", actor=actor)) == [
        ("webhook.deleted", "acme", actor, "webhook:whk_1")
    ]
    with sessions() as session:
        assert not [
            r for r in session.scalars(select(audit.AuditEntryRow)) if "example.com" in r.detail
        ]


def test_policy_changes(sessions: sessionmaker[Session]) -> None:
    store = SqlPolicyStore(sessions)
    a, b = policy_from_text(POLICY_A), policy_from_text(POLICY_B)
    editor = "user:usr_editor"
    for policy in (a, b):
        assert _written(sessions, lambda p=policy: store.save(p, author=editor)) == [
            ("policy.saved", "default", editor, f"policy:{policy.version}")
        ]
    assert _written(sessions, lambda: store.save(a, author=editor)) == []  # already stored
    assert _written(sessions, lambda: store.rollback("kids", actor=editor)) == []
    for policy in (a, b):
        assert _written(
            sessions, lambda p=policy: store.activate(p.version, "kids", actor=editor)
        ) == [("policy.activated", "default", editor, f"policy:{policy.version}")]
    assert _written(sessions, lambda: store.activate("f" * 64, "kids", actor=editor)) == []
    assert _written(sessions, lambda: store.rollback("kids", actor="cli:ops@host")) == [
        ("policy.rolled_back", "default", "cli:ops@host", f"policy:{a.version}")
    ]
    assert _written(sessions, lambda: store.start_shadow(b.version, "kids", actor=editor)) == [
        ("policy.activated", "default", editor, f"policy:{b.version}")
    ]
    assert _written(sessions, lambda: store.start_shadow(b.version, "kids", actor=editor)) == []
    summary = {"active_version": a.version, "total": 10, "changed": 2, "with_verdict": 1}
    assert _written(
        sessions, lambda: store.record_backtest(b.version, actor=editor, summary=summary)
    ) == [("policy.backtested", "default", editor, f"policy:{b.version}")]
