"""Admin pages of the console (``/console/admin``): accounts (add, disable and enable, change
role, reset password), API keys (create — the key is shown once, on the answer to the form —
and revoke), webhook endpoints of every tenant (register — its secret shown once — and delete)
and per-tenant retention of media.

Only admins reach them (``users:manage``, ``keys:manage``, ``retention:manage``); every form
carries the session's CSRF token, and every change is recorded by the service that makes it,
with the admin as its actor (``user:<username>``). A refused form comes back with its reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from modgate.auth.deps import actor_of, require_permission
from modgate.auth.models import ROLES, SCOPES, User
from modgate.errors import InvalidParameterException, ModgateError
from modgate.events import SUBSCRIBABLE_EVENTS
from modgate.request_limits import read_form
from modgate.tenants import DEFAULT_TENANT, checked_tenant
from modgate.web.pages import form_text, names_of_users, page, refused

router = APIRouter(prefix="/console/admin", tags=["console"], include_in_schema=False)

Users = Annotated[User, Depends(require_permission("users:manage"))]
Keys = Annotated[User, Depends(require_permission("keys:manage"))]
Retention = Annotated[User, Depends(require_permission("retention:manage"))]
# What a redirect after a change says (fixed texts: nothing from the request is echoed).
DONE = {
    "added": "The account was added.",
    "role": "The role was changed; the account's sessions ended.",
    "disabled": "The account was disabled; its sessions ended.",
    "enabled": "The account was enabled.",
    "password": "The password was reset; the account's sessions ended.",
    "revoked": "The key was revoked; it stops working on its next request.",
    "deleted": "The endpoint was deleted; its pending deliveries will not be sent.",
    "retention": "The retention settings were saved.",
}


def _services(request: Request) -> Any:
    return request.app.state.services


def _text(form: Any, name: str) -> str:
    return form_text(form, name).strip()


def _done(path: str, what: str) -> Response:
    return RedirectResponse(f"{path}?done={what}", 303)


async def _admin_page(
    request: Request,
    name: str,
    user: User,
    status: int,
    error: str | None,
    **context: Any,
) -> Response:
    """An admin page: its context, the refused form's reason and what the last change did."""
    return await page(
        request,
        name,
        user,
        status,
        **context,
        error=error,
        done=DONE.get(request.query_params.get("done", "")),
    )


async def _change(
    request: Request,
    change: Callable[[], object],
    render: Callable[..., Awaitable[Response]],
    path: str,
    what: str,
) -> Response:
    """Make ``change``, then redirect to ``path`` saying ``what`` was done; a refused change
    comes back on its page (``render``) with its reason."""
    try:
        await run_in_threadpool(change)
    except ModgateError as error:
        return await refused(request, error, render)
    return _done(path, what)


# accounts ------------------------------------------------------------------------------------
async def _users_page(
    request: Request, user: User, status: int = 200, error: str | None = None
) -> Response:
    users = await run_in_threadpool(_services(request).auth.list_users)
    return await _admin_page(
        request, "admin_users.html", user, status, error, users=users, roles=ROLES
    )


@router.get("/users")
async def users_page(request: Request, user: Users) -> Response:
    return await _users_page(request, user)


@router.post("/users")
async def add_user(request: Request, user: Users) -> Response:
    form = await read_form(request)
    queues = [q.strip() for q in _text(form, "queues").split(",") if q.strip()]
    return await _change(
        request,
        lambda: _services(request).auth.add_user(
            _text(form, "username"),
            str(form.get("password") or ""),
            _text(form, "role"),
            queues,
            actor=actor_of(request),
        ),
        lambda **kw: _users_page(request, user, **kw),
        "/console/admin/users",
        "added",
    )


@router.post("/users/{username}/role")
async def change_role(request: Request, username: str, user: Users) -> Response:
    form = await read_form(request)
    return await _change(
        request,
        lambda: _services(request).auth.set_role(
            username, _text(form, "role"), actor=actor_of(request)
        ),
        lambda **kw: _users_page(request, user, **kw),
        "/console/admin/users",
        "role",
    )


@router.post("/users/{username}/disabled")
async def set_disabled(request: Request, username: str, user: Users) -> Response:
    form = await read_form(request)
    disabled = _text(form, "disabled") != "false"
    try:
        if disabled and username == user.username:
            raise InvalidParameterException("You cannot disable your own account.")
        await run_in_threadpool(
            lambda: _services(request).auth.set_disabled(
                username, disabled, actor=actor_of(request)
            )
        )
    except ModgateError as error:
        return await refused(request, error, lambda **kw: _users_page(request, user, **kw))
    return _done("/console/admin/users", "disabled" if disabled else "enabled")


@router.post("/users/{username}/password")
async def reset_password(request: Request, username: str, user: Users) -> Response:
    form = await read_form(request)
    return await _change(
        request,
        lambda: _services(request).auth.set_password(
            username, str(form.get("password") or ""), actor=actor_of(request)
        ),
        lambda **kw: _users_page(request, user, **kw),
        "/console/admin/users",
        "password",
    )


# API keys ------------------------------------------------------------------------------------
async def _keys_page(
    request: Request,
    user: User,
    status: int = 200,
    error: str | None = None,
    created: dict[str, Any] | None = None,
) -> Response:
    keys = await run_in_threadpool(_services(request).auth.list_keys)
    return await _admin_page(
        request,
        "admin_keys.html",
        user,
        status,
        error,
        keys=keys,
        scopes=SCOPES,
        default_tenant=DEFAULT_TENANT,
        created=created,
    )


@router.get("/keys")
async def keys_page(request: Request, user: Keys) -> Response:
    return await _keys_page(request, user)


@router.post("/keys")
async def create_key(request: Request, user: Keys) -> Response:
    """The new key is in this answer only (never stored, never cached)."""
    form = await read_form(request)
    scopes = [s for s in form.getlist("scope") if isinstance(s, str)]
    try:
        plaintext, key = await run_in_threadpool(
            lambda: _services(request).auth.create_key(
                _text(form, "name"),
                scopes,
                _text(form, "tenant") or DEFAULT_TENANT,
                actor=actor_of(request),
            )
        )
    except ModgateError as error:
        return await refused(request, error, lambda **kw: _keys_page(request, user, **kw))
    return await _keys_page(request, user, created={"key": plaintext, **key.to_public()})


@router.post("/keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str, user: Keys) -> Response:
    return await _change(
        request,
        lambda: _services(request).auth.revoke_key(key_id, actor=actor_of(request)),
        lambda **kw: _keys_page(request, user, **kw),
        "/console/admin/keys",
        "revoked",
    )


# webhooks ------------------------------------------------------------------------------------
async def _webhooks_page(
    request: Request,
    user: User,
    status: int = 200,
    error: str | None = None,
    created: dict[str, Any] | None = None,
) -> Response:
    active = await run_in_threadpool(_services(request).webhooks.store.active_endpoints)
    endpoints = [e.to_public() | {"tenant": e.tenant} for e in active]
    return await _admin_page(
        request,
        "admin_webhooks.html",
        user,
        status,
        error,
        endpoints=sorted(endpoints, key=lambda e: (e["tenant"], e["created_at"])),
        events=SUBSCRIBABLE_EVENTS,
        default_tenant=DEFAULT_TENANT,
        created=created,
    )


@router.get("/webhooks")
async def webhooks_page(request: Request, user: Keys) -> Response:
    return await _webhooks_page(request, user)


@router.post("/webhooks")
async def create_webhook(request: Request, user: Keys) -> Response:
    form = await read_form(request)
    events = [e for e in form.getlist("event") if isinstance(e, str)] or None
    tenant = _text(form, "tenant") or DEFAULT_TENANT
    try:
        created = await run_in_threadpool(
            lambda: _services(request).webhooks.register(
                _text(form, "url"),
                events,
                f"console:{user.username}",
                _text(form, "secret") or None,
                checked_tenant(tenant),
                actor=actor_of(request),
            )
        )
    except ModgateError as error:
        return await refused(request, error, lambda **kw: _webhooks_page(request, user, **kw))
    return await _webhooks_page(request, user, created=created | {"tenant": tenant})


@router.post("/webhooks/{endpoint_id}/delete")
async def delete_webhook(request: Request, endpoint_id: str, user: Keys) -> Response:
    return await _change(
        request,
        lambda: _services(request).webhooks.remove(endpoint_id, actor=actor_of(request)),
        lambda **kw: _webhooks_page(request, user, **kw),
        "/console/admin/webhooks",
        "deleted",
    )


# retention -----------------------------------------------------------------------------------
async def _retention_page(
    request: Request, user: User, status: int = 200, error: str | None = None
) -> Response:
    settings = await run_in_threadpool(_services(request).retention.all)
    return await _admin_page(
        request,
        "admin_retention.html",
        user,
        status,
        error,
        names=await run_in_threadpool(names_of_users, request),
        settings=settings,
        default_tenant=DEFAULT_TENANT,
    )


@router.get("/retention")
async def retention_page(request: Request, user: Retention) -> Response:
    return await _retention_page(request, user)


def _days(form: Any, name: str) -> int | None:
    text = _text(form, name)
    if not text:
        return None
    if not text.isdigit():
        raise InvalidParameterException(f"{name} days must be a whole number, or empty.")
    return int(text)


@router.post("/retention")
async def set_retention(request: Request, user: Retention) -> Response:
    form = await read_form(request)
    try:
        values = {
            f"{kind}_days": _days(form, kind) for kind in ("originals", "previews", "thumbnails")
        }
        await run_in_threadpool(
            lambda: _services(request).retention.set(
                _text(form, "tenant"), actor=actor_of(request), **values
            )
        )
    except ModgateError as error:
        return await refused(request, error, lambda **kw: _retention_page(request, user, **kw))
    return _done("/console/admin/retention", "retention")
