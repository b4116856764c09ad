"""Sign-in throttling: failures counted per username and per client address in the database,
refused before any password is hashed, and a bound on password hashes running at once.

Over real HTTP against the live server; the client address is set with ``X-Forwarded-For``,
which uvicorn honours from 127.0.0.1 as it does from a local proxy. The password hasher is a
counting double with cheap argon2 parameters, so "no hash computed" is counted, not timed.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from modgate.auth.service import AuthService
from modgate.auth.settings import AuthSettings
from modgate.auth.tables import SignInFailureRow
from modgate.auth.throttle import SignInThrottledException
from modgate.db import make_engine, session_factory, upgrade
from modgate.errors import AuthenticationRequiredException

PASSWORD = "correct horse battery"
WRONG = "wrong horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class CountingHasher(PasswordHasher):
    """argon2id with test-sized parameters, counting every hash it computes; ``gate`` (when
    set) holds each verification until it opens."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.calls = 0
        self.entered = threading.Semaphore(0)
        self.gate: threading.Event | None = None

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.calls += 1
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        self.calls += 1
        self.entered.release()
        if self.gate is not None:
            assert self.gate.wait(10)
        return super().verify(hash, password)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def console(
    live_server: Any, services: Any, clock: Clock, hasher: CountingHasher
) -> Iterator[tuple[str, AuthService]]:
    """The live server, its accounts on the test clock and hasher, and user ``ann``."""
    auth = AuthService(services.sessions, services.settings.auth, clock, hasher=hasher)
    services.auth = auth
    auth.add_user("ann", PASSWORD, "reviewer", ["*"], actor="cli:tests@localhost")
    hasher.calls = 0
    yield live_server.url, auth


def attempt(
    url: str, username: str, password: str, address: str = "198.51.100.1"
) -> httpx.Response:
    with httpx.Client(base_url=url, headers={"X-Forwarded-For": address}) as client:
        page = client.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        # Behind a proxy the cookie is Secure, which httpx keeps from http://: sent by hand.
        return client.post(
            "/console/login",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
            headers={"Cookie": f"modgate_login_csrf={page.cookies['modgate_login_csrf']}"},
        )


def signed_in(response: httpx.Response) -> bool:
    return (
        response.status_code == 303
        and response.headers["location"] == "/console"
        and ("modgate_session=" in response.headers.get("set-cookie", ""))
    )


def refused(response: httpx.Response) -> bool:
    return response.status_code == 303 and "error=1" in response.headers["location"]


def test_ten_failures_for_a_username_refuse_it_without_hashing_until_the_window_passes(
    console: tuple[str, AuthService], clock: Clock, hasher: CountingHasher
) -> None:
    url, _ = console
    for n in range(10):  # from ten addresses: the username's own count is what stops them
        assert refused(attempt(url, "ann", WRONG, f"198.51.100.{n + 10}"))
    assert hasher.calls == 10

    throttled = attempt(url, "ann", WRONG, "198.51.100.99")
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "900"  # 15 minutes after the failures
    assert "Too many failed sign-ins; try again in 15 minutes." in throttled.text
    right = attempt(url, "ANN ", PASSWORD, "198.51.100.98")  # the right password, too late
    assert right.status_code == 429 and "modgate_session" not in right.headers.get("set-cookie", "")
    assert hasher.calls == 10  # neither answer hashed anything

    clock.advance(899)
    still = attempt(url, "ann", PASSWORD)
    assert still.status_code == 429 and still.headers["retry-after"] == "1"
    clock.advance(1)
    assert signed_in(attempt(url, "ann", PASSWORD))
    assert hasher.calls == 11


def test_ten_failures_from_one_address_refuse_every_username_from_it(
    console: tuple[str, AuthService], hasher: CountingHasher
) -> None:
    url, _ = console
    attacker = "203.0.113.7"
    for n in range(9):
        assert refused(attempt(url, f"guess-{n}", WRONG, attacker))
    # Signing in to one's own account does not reset the count for the other usernames.
    assert signed_in(attempt(url, "ann", PASSWORD, attacker))
    assert refused(attempt(url, "bob", WRONG, attacker))
    calls = hasher.calls

    throttled = attempt(url, "ann", PASSWORD, attacker)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert attempt(url, "carol", WRONG, attacker).status_code == 429
    assert hasher.calls == calls
    # IPv6 clients are counted by their /64, and other addresses are not affected.
    assert signed_in(attempt(url, "ann", PASSWORD, "2001:db8::1"))
    assert signed_in(attempt(url, "ann", PASSWORD))


def test_a_successful_sign_in_forgets_only_its_own_typos(
    console: tuple[str, AuthService], hasher: CountingHasher
) -> None:
    url, _ = console
    for _ in range(9):
        assert refused(attempt(url, "ann", WRONG))
    assert signed_in(attempt(url, "ann", PASSWORD))
    for _ in range(9):  # a fresh count: nine more typos are still let through
        assert refused(attempt(url, "ann", WRONG))
    assert signed_in(attempt(url, "ann", PASSWORD))


def test_password_hashes_at_once_are_bounded_and_the_rest_answered_503(
    console: tuple[str, AuthService], hasher: CountingHasher
) -> None:
    url, _ = console
    hasher.gate = threading.Event()
    results: list[httpx.Response] = []
    waiting = [
        threading.Thread(
            target=lambda n=n: results.append(attempt(url, "ann", PASSWORD, f"198.51.100.{n}"))
        )
        for n in (1, 2)
    ]
    for thread in waiting:
        thread.start()
    try:
        for _ in waiting:  # both slots (the default, 2) are hashing
            assert hasher.entered.acquire(timeout=10)
        busy = attempt(url, "ann", PASSWORD, "198.51.100.3")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert "Too many sign-ins at once" in busy.text
    finally:
        hasher.gate.set()
        for thread in waiting:
            thread.join(10)
    assert len(results) == 2 and all(signed_in(r) for r in results)
    assert hasher.calls == 2
    assert signed_in(attempt(url, "ann", PASSWORD, "198.51.100.3"))


def test_api_processes_share_the_failure_counts(database_url: str) -> None:
    """Two services on one database, as two API processes would be (SQLite and PostgreSQL)."""
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    clock, hasher = Clock(), CountingHasher()
    settings = AuthSettings(sign_in_max_failures=4, sign_in_window_minutes=1)
    first, second = (
        AuthService(session_factory(engine), settings, clock, hasher=hasher) for _ in range(2)
    )
    first.add_user("ann", PASSWORD, "reviewer", actor="cli:tests@localhost")
    try:
        for service in (first, second, first, second):
            with pytest.raises(AuthenticationRequiredException):
                service.sign_in("ann", WRONG, "192.0.2.1")
        with pytest.raises(SignInThrottledException) as caught:
            first.sign_in("ann", PASSWORD, "192.0.2.2")
        assert caught.value.http_status == 429 and caught.value.retry_after_seconds == 60
        clock.advance(61)
        assert second.sign_in("ann", PASSWORD, "192.0.2.2")
        with pytest.raises(AuthenticationRequiredException):
            second.sign_in("ann", WRONG, "192.0.2.1")  # and the old rows are deleted
        with first.sessions() as session:
            assert session.scalar(select(func.count()).select_from(SignInFailureRow)) == 1
    finally:
        engine.dispose()
