"""``modgate users passwd`` and ``modgate users role``, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from modgate.auth.service import AuthService
from modgate.auth.settings import AuthSettings
from modgate.db import make_engine, session_factory
from modgate.errors import AuthenticationRequiredException
from servers import run_modgate

OLD = "correct horse battery"
NEW = "a brand new passphrase"


def modgate(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ) | {"MODGATE_DATA_DIR": str(data), "ANN_PASSWORD": OLD}
    if stdin is None:
        return run_modgate(list(args), env)
    return subprocess.run(
        [sys.executable, "-m", "modgate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    added = modgate(data, "users", "add", "ann", "--password-env", "ANN_PASSWORD")
    assert added.returncode == 0, added.stderr
    return data


@pytest.fixture
def auth(data: Path) -> Iterator[AuthService]:
    engine = make_engine(f"sqlite:///{(data / 'modgate.db').resolve()}")
    yield AuthService(session_factory(engine), AuthSettings())
    engine.dispose()


def test_passwd_from_stdin_replaces_the_password_and_ends_sessions(
    data: Path, auth: AuthService
) -> None:
    token, _ = auth.sign_in("ann", OLD)
    assert auth.session(token) is not None
    changed = modgate(data, "users", "passwd", "ann", "--password-stdin", stdin=NEW + "\n")
    assert changed.returncode == 0, changed.stderr
    assert auth.session(token) is None
    with pytest.raises(AuthenticationRequiredException):
        auth.sign_in("ann", OLD)
    _, console = auth.sign_in("ann", NEW)
    assert console.user.username == "ann"


def test_passwd_refuses_short_passwords_and_unknown_users(data: Path, auth: AuthService) -> None:
    short = modgate(data, "users", "passwd", "ann", "--password-stdin", stdin="short\n")
    assert short.returncode != 0
    assert short.stderr.startswith("InvalidParameterException:") and "at least 12" in short.stderr
    auth.sign_in("ann", OLD)  # unchanged
    nobody = modgate(data, "users", "passwd", "bob", "--password-stdin", stdin=NEW + "\n")
    assert nobody.returncode != 0 and nobody.stderr.startswith("ResourceNotFoundException:")


def test_role_change_applies_at_once(data: Path, auth: AuthService) -> None:
    token, console = auth.sign_in("ann", OLD)
    assert not console.user.can("users:manage")
    changed = modgate(data, "users", "role", "ann", "admin")
    assert changed.returncode == 0, changed.stderr
    assert auth.session(token) is None
    _, console = auth.sign_in("ann", OLD)
    assert console.user.role == "admin" and console.user.can("users:manage")
    bad = modgate(data, "users", "role", "ann", "overlord")
    assert bad.returncode != 0 and bad.stderr.startswith("InvalidParameterException:")
    assert auth.get_user("ann").role == "admin"
