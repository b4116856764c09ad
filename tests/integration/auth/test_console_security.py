"""The console's browser protections over real HTTP: security headers on every console answer,
the cookies' Secure flag, the sessions' idle timeout and clean-up, and a review claim that
ended refusing reveals and verdicts."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from modgate.auth.service import AuthService
from modgate.auth.tables import SessionRow
from modgate.review.service import ReviewService
from modgate.review.tables import ReviewVerdictRow

sys.path.insert(0, str(Path(__file__).parents[1] / "review"))
from review_helpers import START, FakeClock, add_moderation  # noqa: E402

PASSWORD = "correct horse battery"
TEMPLATES = Path(__file__).parents[3] / "src" / "modgate" / "web" / "templates"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def console(live_server: Any, services: Any, clock: FakeClock) -> Iterator[str]:
    """The live server with accounts and reviews on the test clock; reviewer ``ann``."""
    auth = AuthService(
        services.sessions,
        services.settings.auth,
        clock,
        hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
    )
    services.auth = auth
    services.review = ReviewService(services.sessions, services.settings.review, clock)
    auth.add_user("ann", PASSWORD, "reviewer", ["*"], actor="cli:tests@localhost")
    yield live_server.url


def sign_in(client: httpx.Client, **headers: str) -> httpx.Response:
    page = client.get("/console/login", headers=headers)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    return client.post(
        "/console/login",
        headers={**headers, "Cookie": f"modgate_login_csrf={page.cookies['modgate_login_csrf']}"},
        data={"username": "ann", "password": PASSWORD, "csrf_token": token.group(1)},
    )


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def assert_hardened(response: httpx.Response) -> None:
    policy = response.headers.get("content-security-policy", "")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'", policy
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", policy
    assert directives["frame-ancestors"] == "'none'" and "unsafe" not in policy, policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_every_console_answer_carries_the_security_headers(console: str) -> None:
    with httpx.Client(base_url=console) as client:
        assert_hardened(client.get("/console/login"))
        assert_hardened(client.get("/console", headers={"Accept": "text/html"}))  # a redirect
        assert_hardened(client.post("/console/claim"))  # an error answer (401)
        assert_hardened(client.get("/console/static/review.js"))
        page = sign_in(client)
        assert page.status_code == 303
        for path in ("/console", "/console/me"):
            answer = client.get(path)
            assert answer.status_code == 200, answer.text
            assert_hardened(answer)
        assert "content-security-policy" not in client.get("/healthz").headers


def test_templates_have_no_inline_script_or_style() -> None:
    """The policy allows neither; a template that needs one must pass data to review.js."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", text), template.name


def cookie_flags(response: httpx.Response, name: str) -> set[str]:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    raise AssertionError(f"no {name} cookie in {response.headers}")


def test_cookies_are_secure_unless_plain_http_reaches_a_loopback_address(console: str) -> None:
    with httpx.Client(base_url=console) as client:
        local = sign_in(client)  # make serve, the tests: http://127.0.0.1
        assert cookie_flags(local, "modgate_session") == {"httponly", "max-age", "path", "samesite"}
    for headers in (
        {"X-Forwarded-Proto": "https"},  # behind a TLS proxy on the same machine
        {"Host": "console.example.org"},
    ):  # reached by name over plain HTTP
        with httpx.Client(base_url=console) as client:
            page = client.get("/console/login", headers=headers)
            assert "secure" in cookie_flags(page, "modgate_login_csrf"), headers
            answer = sign_in(client, **headers)
            assert answer.status_code == 303, answer.text
            assert "secure" in cookie_flags(answer, "modgate_session"), headers
            assert "httponly" in cookie_flags(answer, "modgate_session")


def test_an_idle_session_ends_and_ended_sessions_are_deleted(
    console: str, services: Any, clock: FakeClock
) -> None:
    with httpx.Client(base_url=console) as client:
        assert sign_in(client).status_code == 303
        for _ in range(3):  # in use: each request moves the idle deadline forward
            clock.advance(29 * 60)
            assert client.get("/console").status_code == 200
        clock.advance(30 * 60)
        ended = client.get("/console", headers={"Accept": "text/html"})
        assert ended.status_code == 303
        assert ended.headers["location"] == "/console/login?next=/console"
        assert client.get("/console").status_code == 401

    with httpx.Client(base_url=console) as client:  # left open, never signed out
        assert sign_in(client).status_code == 303
    clock.advance(31 * 60)
    with httpx.Client(base_url=console) as client:
        assert sign_in(client).status_code == 303  # the next sign-in deletes it
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SessionRow)) == 1


def test_a_reviewer_whose_claim_ended_can_neither_reveal_nor_decide(
    console: str, services: Any, clock: FakeClock
) -> None:
    add_moderation(services.sessions, queue="nudity", clock=clock)
    with httpx.Client(base_url=console) as client:
        assert sign_in(client).status_code == 303
        csrf = csrf_of(client.get("/console"))
        claimed = client.post("/console/claim", data={"csrf_token": csrf})
        task = claimed.headers["location"].rsplit("/", 1)[1]
        headers = {"X-CSRF-Token": csrf, "Accept": "application/json"}
        lease = services.settings.review.lease_seconds

        clock.advance(lease - 1)
        assert client.post(f"/console/tasks/{task}/reveal", headers=headers).status_code == 200
        clock.advance(1)  # the lease has ended; no one has taken the task yet
        for answer in (
            client.post(f"/console/tasks/{task}/reveal", headers=headers),
            client.post(
                f"/console/tasks/{task}/verdict",
                headers=headers,
                data={"action": "block", "label_0": "right"},
            ),
            client.get(f"/console/tasks/{task}/preview?blurred=false"),
        ):
            assert answer.status_code == 409, answer.text
            assert answer.json()["error"]["code"] == "LeaseLostException"
            assert "expired" in answer.json()["error"]["message"]
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ReviewVerdictRow)) == 0
