"""Every route × every role: who is let in, who gets 401, who gets 403.

The routes are read from ``app.routes``, so a new route without a declared access rule (a
dependency from ``modgate.auth.deps``, or an entry in ``DECLARED_ELSEWHERE``) fails here.
Requests go over real HTTP to a real server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from modgate.auth.deps import AccessRule, access_rule
from modgate.auth.models import ROLES, SCOPES
from servers import LiveServer

# Routes of the framework and of other parts, with the rule they must follow.
DECLARED_ELSEWHERE = {
    ("GET", "/healthz"): AccessRule("public"),
    ("GET", "/openapi.json"): AccessRule("public"),
    ("GET", "/docs"): AccessRule("public"),
    ("GET", "/docs/oauth2-redirect"): AccessRule("public"),
    ("GET", "/redoc"): AccessRule("public"),
}
# Routers whose owners apply ``require_scopes`` themselves (see docs/review.md, "Access").
GUARDED_BY_OWNER = ("/v1/media", "/v1/moderations", "/v1/webhooks")
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    rule: AccessRule | None


def _rules_of(dependant: Any) -> list[AccessRule]:
    found = []
    for dependency in getattr(dependant, "dependencies", []) or []:
        rule = access_rule(dependency.call)
        if rule is not None:
            found.append(rule)
        found.extend(_rules_of(dependency))
    return found


def endpoints(app: Any) -> list[Endpoint]:
    result = []
    for context in iter_route_contexts(app.routes):
        path = context.path
        if path is None:
            continue
        methods = sorted((context.methods or {"GET"}) - {"HEAD"})
        rules = _rules_of(getattr(context, "dependant", None))
        if path == "/console/static":  # the console's static files (a mount)
            result.append(Endpoint("GET", path, AccessRule("public")))
            continue
        for method in methods:
            rule = rules[0] if rules else DECLARED_ELSEWHERE.get((method, path))
            if len({(r.kind, r.scopes, r.roles) for r in rules}) > 1:
                raise AssertionError(f"{method} {path} declares conflicting access rules: {rules}")
            result.append(Endpoint(method, path, rule))
    return result


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from modgate.app import create_app
    from modgate.services import Services
    from modgate.settings import load_settings

    settings = load_settings(data_dir=tmp_path_factory.mktemp("access") / "data")
    services = Services.build(settings)
    app = create_app(settings, services)
    auth = services.auth
    principals: dict[str, dict[str, Any]] = {"anonymous": {}}
    with LiveServer(app) as live:
        for role in ROLES:
            auth.add_user(f"u-{role.replace('_', '-')}", PASSWORD, role, ["*"])
            client = httpx.Client(base_url=live.url)
            page = client.get("/console/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, page.text
            signed = client.post(
                "/console/login",
                data={
                    "username": f"u-{role.replace('_', '-')}",
                    "password": PASSWORD,
                    "csrf_token": token.group(1),
                    "next": "/console",
                },
                follow_redirects=True,
            )
            assert signed.status_code == 200, signed.text
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', signed.text)
            assert csrf
            principals[role] = {
                "session": client.cookies.get("modgate_session"),
                "csrf": csrf.group(1),
            }
            client.close()
        revoked, key = auth.create_key("revoked", ["media:read"])
        auth.revoke_key(key.id)
        principals["revoked key"] = {"key": revoked}
        yield {"app": app, "url": live.url, "auth": auth, "principals": principals}
    services.close()


def test_every_route_declares_who_may_call_it(server: dict[str, Any]) -> None:
    missing = [
        f"{e.method} {e.path}"
        for e in endpoints(server["app"])
        if e.rule is None and not e.path.startswith(GUARDED_BY_OWNER)
    ]
    assert not missing, f"routes without an access rule: {missing}"


def test_public_api_routers_carry_a_scope_rule(server: dict[str, Any]) -> None:
    unguarded = [
        f"{e.method} {e.path}"
        for e in endpoints(server["app"])
        if e.rule is None and e.path.startswith(GUARDED_BY_OWNER)
    ]
    assert not unguarded, f"/v1 routes without an API-key scope: {unguarded}"


def _request(
    server: dict[str, Any],
    endpoint: Endpoint,
    principal: str,
    key: str | None = None,
    with_csrf: bool = True,
) -> httpx.Response:
    details = server["principals"].get(principal, {})
    headers = {"Accept": "application/json"}
    if key or details.get("key"):
        headers["Authorization"] = f"Bearer {key or details['key']}"
    if details.get("session"):
        headers["Cookie"] = f"modgate_session={details['session']}"
    if details.get("csrf") and with_csrf:
        headers["X-CSRF-Token"] = details["csrf"]
    path = re.sub(r"\{[^}]+\}", "missing", endpoint.path)
    if endpoint.path.startswith("/console/static"):
        path = "/console/static/console.css"
    body: dict[str, Any] = {}
    if endpoint.method in ("POST", "PUT", "PATCH"):
        body = (
            {"json": {"statement": "It is art."}}
            if endpoint.path.startswith("/v1")
            else {"data": {"queue": "none"}}
        )
    with httpx.Client(base_url=server["url"]) as client:
        return client.request(
            endpoint.method, path, headers=headers, follow_redirects=False, **body
        )


def _expected(rule: AccessRule, principal: str, scoped_key: str | None) -> str:
    if rule.kind == "public":
        return "allowed"
    if rule.kind == "scopes":
        if principal == "key with scopes":
            return "allowed"
        return "denied" if principal == "key without scopes" else "unauthenticated"
    if principal in ROLES:
        return "allowed" if principal in rule.roles else "denied"
    return "unauthenticated"


def _outcome(status: int) -> str:
    return {401: "unauthenticated", 403: "denied"}.get(status, "allowed")


def test_console_forms_need_the_csrf_token(server: dict[str, Any]) -> None:
    """Runs before the table (file order), while every session is alive."""
    posts = [
        e
        for e in endpoints(server["app"])
        if e.rule and e.rule.kind == "console" and e.method == "POST"
    ]
    assert posts
    for endpoint in posts:
        principal = endpoint.rule.roles[0]  # type: ignore[union-attr]
        response = _request(server, endpoint, principal, with_csrf=False)
        assert response.status_code == 403, (endpoint.path, response.text)
        assert response.json()["error"]["code"] == "CsrfTokenException"


def test_sign_in_needs_its_form_token_and_a_browser_is_sent_to_sign_in(
    server: dict[str, Any],
) -> None:
    with httpx.Client(base_url=server["url"]) as client:
        refused = client.post(
            "/console/login",
            data={"username": "u-reviewer", "password": PASSWORD, "csrf_token": "forged"},
        )
        assert refused.status_code == 403
        page = client.get("/console", headers={"Accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/console/login?next=/console"
        wrong = client.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', wrong.text)
        assert token
        bad = client.post(
            "/console/login",
            data={
                "username": "u-reviewer",
                "password": "not it at all",
                "csrf_token": token.group(1),
            },
            follow_redirects=False,
        )
        assert bad.status_code == 303 and "error=1" in bad.headers["location"]


def test_access_table(server: dict[str, Any]) -> None:
    auth = server["auth"]
    checked = 0
    wrong = []
    # Signing out ends the session the other rows use: check it last.
    for endpoint in sorted(endpoints(server["app"]), key=lambda e: e.path == "/console/logout"):
        if endpoint.rule is None:
            continue
        if endpoint.method == "POST" and endpoint.path == "/console/login":
            continue  # public, with its own CSRF cookie: see test_sign_in_needs_its_form_token
        keys: dict[str, str] = {}
        if endpoint.rule.kind == "scopes":
            keys["key with scopes"] = auth.create_key("with", endpoint.rule.scopes)[0]
            others = [s for s in SCOPES if s not in endpoint.rule.scopes]
            keys["key without scopes"] = auth.create_key("without", others)[0]
        for principal in [*server["principals"], *keys]:
            response = _request(server, endpoint, principal, keys.get(principal))
            expected = _expected(endpoint.rule, principal, keys.get(principal))
            got = _outcome(response.status_code)
            checked += 1
            if got != expected:
                wrong.append(
                    f"{endpoint.method} {endpoint.path} as {principal}: expected "
                    f"{expected}, got {response.status_code} {response.text[:120]}"
                )
            if got in ("unauthenticated", "denied"):
                assert response.json()["error"]["code"] in (
                    "AuthenticationRequiredException",
                    "AccessDeniedException",
                    "SignInRequired",
                ), response.text
    assert checked > 100
    assert not wrong, "\n".join(wrong)
