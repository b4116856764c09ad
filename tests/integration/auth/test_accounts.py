"""Accounts, sessions and API keys on SQLite and PostgreSQL, and the users/keys commands."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from modgate.auth.service import AuthService
from modgate.auth.settings import AuthSettings
from modgate.auth.tables import ApiKeyRow, SessionRow, UserRow
from modgate.db import make_engine, session_factory, upgrade
from modgate.errors import (
    AuthenticationRequiredException,
    ConflictException,
    InvalidParameterException,
)

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def auth(database_url: str) -> Iterator[AuthService]:
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    yield AuthService(session_factory(engine), AuthSettings(session_hours=1), Clock())
    engine.dispose()


def test_passwords_are_hashed_and_checked(auth: AuthService) -> None:
    user = auth.add_user(
        "Ann", PASSWORD, "reviewer", ["nudity", "violence"], actor="cli:tests@localhost"
    )
    assert user.username == "ann" and user.queues == ("nudity", "violence")
    with auth.sessions() as session:
        stored = session.scalars(select(UserRow)).one().password_hash
    assert PASSWORD not in stored and stored.startswith("$argon2id$")
    token, console = auth.sign_in("ann", PASSWORD)
    assert console.user.id == user.id and len(console.csrf_token) > 30
    with auth.sessions() as session:
        assert session.scalars(select(SessionRow.token_hash)).one() != token  # only a hash
    with pytest.raises(AuthenticationRequiredException, match="Wrong username or password"):
        auth.sign_in("ann", "wrong password here")
    with pytest.raises(AuthenticationRequiredException, match="Wrong username or password"):
        auth.sign_in("nobody", PASSWORD)


def test_bad_accounts_are_refused_with_reasons(auth: AuthService) -> None:
    auth.add_user("ann", PASSWORD, "reviewer", actor="cli:tests@localhost")
    with pytest.raises(ConflictException, match="taken"):
        auth.add_user("ann", PASSWORD, "auditor", actor="cli:tests@localhost")
    with pytest.raises(InvalidParameterException, match="Unknown role"):
        auth.add_user("bob", PASSWORD, "overlord", actor="cli:tests@localhost")
    with pytest.raises(InvalidParameterException, match="at least 12"):
        auth.add_user("bob", "short", "reviewer", actor="cli:tests@localhost")
    with pytest.raises(InvalidParameterException, match="username"):
        auth.add_user("Bob Smith!", PASSWORD, "reviewer", actor="cli:tests@localhost")


def test_sessions_expire_and_end_when_the_user_is_disabled(auth: AuthService) -> None:
    auth.add_user("ann", PASSWORD, "reviewer", actor="cli:tests@localhost")
    token, _ = auth.sign_in("ann", PASSWORD)
    assert auth.session(token) is not None
    auth.clock.now += dt.timedelta(hours=2)  # type: ignore[attr-defined]
    assert auth.session(token) is None
    token, _ = auth.sign_in("ann", PASSWORD)
    auth.set_disabled("ann", actor="cli:tests@localhost")
    assert auth.session(token) is None
    with pytest.raises(AuthenticationRequiredException):
        auth.sign_in("ann", PASSWORD)
    auth.set_disabled("ann", False, actor="cli:tests@localhost")
    assert auth.sign_in("ann", PASSWORD)
    auth.sign_out(token)


def test_api_keys_are_hashed_scoped_and_revocable(auth: AuthService) -> None:
    plaintext, key = auth.create_key(
        "uploader", ["media:write", "moderations:write"], actor="cli:tests@localhost"
    )
    assert plaintext.startswith(f"mgk_{key.id}_")
    with auth.sessions() as session:
        row = session.scalars(select(ApiKeyRow)).one()
    assert plaintext.split("_", 2)[2] not in row.secret_hash
    found = auth.verify_key(plaintext)
    assert found is not None and found.scopes == ("media:write", "moderations:write")
    assert auth.verify_key(plaintext[:-2] + "xx") is None
    assert auth.verify_key("not a key") is None
    auth.revoke_key(key.id, actor="cli:tests@localhost")
    assert auth.verify_key(plaintext) is None
    with pytest.raises(InvalidParameterException, match="unknown: everything"):
        auth.create_key("bad", ["everything"], actor="cli:tests@localhost")


def test_users_and_keys_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modgate.cli import app

    monkeypatch.setenv("MODGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ANN_PASSWORD", PASSWORD)
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "users",
            "add",
            "ann",
            "--role",
            "senior_reviewer",
            "--queue",
            "nudity",
            "--password-env",
            "ANN_PASSWORD",
        ],
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["role"] == "senior_reviewer"
    again = runner.invoke(app, ["users", "add", "ann", "--password-env", "ANN_PASSWORD"])
    assert again.exit_code == 2 and "ConflictException" in again.output
    listed = runner.invoke(app, ["users", "list"])
    assert [json.loads(line)["username"] for line in listed.output.splitlines()] == ["ann"]
    disabled = runner.invoke(app, ["users", "disable", "ann"])
    assert json.loads(disabled.output)["disabled"] is True
    created = runner.invoke(app, ["keys", "create", "uploader", "--scope", "media:write"])
    assert created.exit_code == 0, created.output
    body = json.loads(created.output)
    assert body["key"].startswith("mgk_") and body["scopes"] == ["media:write"]
    revoked = runner.invoke(app, ["keys", "revoke", body["id"]])
    assert json.loads(revoked.output)["revoked_at"] is not None
    bad = runner.invoke(app, ["keys", "create", "x", "--scope", "root"])
    assert bad.exit_code == 2 and "InvalidParameterException" in bad.output
