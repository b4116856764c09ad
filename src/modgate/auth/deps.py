"""FastAPI dependencies that declare and enforce who may call a route.

Every route carries exactly one access rule, readable from its dependencies (``.access``), so a
test can walk ``app.routes`` and refuse a route that declares none:

* ``public`` — anyone (sign-in page, static files, health).
* ``require_scopes("moderations:write")`` — a service client with an API key holding every scope
  named (``Authorization: Bearer mgk_…`` or ``X-API-Key``). With ``auth.api_keys_required=false``
  calls without a key are let through; a key that is sent must still be valid.
* ``require_role("reviewer", ...)`` / ``require_permission("review:work")`` — a signed-in console
  user with one of the roles; unsafe methods also need the session's CSRF token (form field
  ``csrf_token`` or header ``X-CSRF-Token``).

Missing or bad credentials answer 401; valid credentials without the right answer 403. API keys
are checked by ``modgate.auth.middleware.ApiKeyAuthentication`` before any of the body is read;
``require_scopes`` then uses the principal it found (one key lookup per request).

A service client acts for its key's tenant (``tenant_of``); a caller without a key (allowed only
with ``auth.api_keys_required=false``) acts for the ``default`` tenant.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from modgate.auth.models import PERMISSIONS, ROLES, SCOPES, ApiKey, ConsoleSession, User
from modgate.auth.service import AuthService
from modgate.errors import (
    AccessDeniedException,
    AuthenticationRequiredException,
    CsrfTokenException,
)
from modgate.request_limits import read_form
from modgate.tenants import DEFAULT_TENANT

SESSION_COOKIE = "modgate_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(AuthenticationRequiredException):
    """Sign in to the console first."""


@dataclass(frozen=True, slots=True)
class AccessRule:
    kind: str  # public | scopes | console | sigv4
    scopes: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


def _auth(request: Request) -> AuthService:
    auth: AuthService = request.app.state.services.auth
    return auth


def public() -> None:
    """Anyone may call this route."""


public.access = AccessRule("public")  # type: ignore[attr-defined]


def aws_signed() -> None:
    """AWS credentials, SigV4: the route checks the signature itself (it covers the body)."""


aws_signed.access = AccessRule("sigv4")  # type: ignore[attr-defined]


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The API key a request sends: ``Authorization: Bearer …`` or ``X-API-Key``. A header
    that is sent counts, even empty; two different keys are refused
    (``AuthenticationRequiredException``): which one acts would be a guess, and a bad key must
    never ride along with a good one."""
    sent: list[str] = []
    header = headers.get("authorization")
    if header is not None and header[:7].lower() == "bearer ":
        sent.append(header[7:].strip())
    named = headers.get("x-api-key")
    if named is not None:
        sent.append(named.strip())
    if not sent:
        return None
    if len(set(sent)) > 1 or not sent[0]:
        raise AuthenticationRequiredException(
            "Send one API key, in Authorization: Bearer … or in X-API-Key; "
            + ("it was empty." if len(set(sent)) == 1 else "two different keys were sent.")
        )
    return sent[0]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who sends an API request, once the key is checked: ``key`` is None when none was sent
    and keys are not required. Put in the request's scope (``PRINCIPAL``) by
    ``ApiKeyAuthentication`` so the routes' dependencies do not look the key up again."""

    key: ApiKey | None


PRINCIPAL = "modgate.principal"


def authenticate(auth: AuthService, presented: str | None, keys_required: bool) -> Principal:
    """The principal of a request that sent ``presented`` (blocking: a database lookup).
    Raises ``AuthenticationRequiredException`` for a missing (when required) or bad key."""
    if presented is None:
        if not keys_required:
            return Principal(None)
        raise AuthenticationRequiredException(
            "Send an API key: Authorization: Bearer mgk_… (create one with `modgate keys create`)."
        )
    key = auth.verify_key(presented)
    if key is None:
        raise AuthenticationRequiredException("The API key is unknown or revoked.")
    return Principal(key)


def authorize(principal: Principal, scopes: tuple[str, ...]) -> None:
    """Refuse (``AccessDeniedException``) a key that lacks one of ``scopes``."""
    if principal.key is None:
        return
    missing = [s for s in scopes if s not in principal.key.scopes]
    if missing:
        raise AccessDeniedException(f"This API key lacks the scope {', '.join(missing)}.")


def require_scopes(*scopes: str) -> Callable[[Request], Awaitable[ApiKey | None]]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"require_scopes needs scopes from {SCOPES}; unknown: {unknown}")

    async def dependency(request: Request) -> ApiKey | None:
        found = request.scope.get(PRINCIPAL)
        if isinstance(found, Principal):
            principal = found
        else:
            # Served without ``ApiKeyAuthentication``: check the key here.
            principal = await run_in_threadpool(
                authenticate,
                _auth(request),
                presented_key(request.headers),
                request.app.state.settings.auth.api_keys_required,
            )
        authorize(principal, scopes)
        if principal.key is not None:
            request.state.api_key = principal.key
        return principal.key

    dependency.access = AccessRule("scopes", scopes=tuple(scopes))  # type: ignore[attr-defined]
    return dependency


def tenant_of(request: Request) -> str:
    """The tenant the request acts for: its API key's, or ``default`` for an anonymous caller
    (after ``require_scopes`` let it through)."""
    key = getattr(request.state, "api_key", None)
    return key.tenant if isinstance(key, ApiKey) else DEFAULT_TENANT


async def console_session(request: Request) -> ConsoleSession | None:
    """The signed-in console session, if any (no checks)."""
    cached = getattr(request.state, "console", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = await run_in_threadpool(_auth(request).session, token)
    request.state.console = found
    return found


async def check_csrf(request: Request, expected: str) -> None:
    token = request.headers.get("x-csrf-token")
    if not token and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await read_form(request)
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not token or not hmac.compare_digest(token, expected):
        raise CsrfTokenException()


def require_role(*roles: str) -> Callable[[Request], Awaitable[User]]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"require_role needs roles from {ROLES}; unknown: {unknown}")

    async def dependency(request: Request) -> User:
        console = await console_session(request)
        if console is None:
            raise SignInRequired()
        if console.user.role not in roles:
            raise AccessDeniedException(
                f"Your role ({console.user.role}) cannot do this; it needs one of: "
                f"{', '.join(roles)}."
            )
        if request.method not in SAFE_METHODS:
            await check_csrf(request, console.csrf_token)
        return console.user

    dependency.access = AccessRule("console", roles=tuple(roles))  # type: ignore[attr-defined]
    return dependency


def roles_with(permission: str) -> tuple[str, ...]:
    roles = tuple(role for role in ROLES if permission in PERMISSIONS[role])
    if not roles:
        raise ValueError(f"no role has the permission {permission!r}")
    return roles


def require_permission(permission: str) -> Callable[[Request], Awaitable[User]]:
    return require_role(*roles_with(permission))


def access_rule(dependency: Any) -> AccessRule | None:
    rule = getattr(dependency, "access", None)
    return rule if isinstance(rule, AccessRule) else None
