"""Routes of the reviewer console (``/console``): sign-in, queue overview, the review page,
verdicts, reveals of unblurred previews, media for the video player, my figures.

No clear pixels leave before a reveal: the task's preview, media and thumbnails answer their
blurred rendition (blurred preview, blurred video proxy, blurred thumbnail) unless asked for
with ``blurred=false`` by the reviewer who revealed the task (``review.console.reveal``, logged
and capped). ``X-Modgate-Blurred`` says which one was sent.

Pages are rendered on the server with Jinja2; forms carry the session's CSRF token. Every route
declares who may call it with a dependency from ``modgate.auth.deps``. Security headers and the
cookies' ``Secure`` flag come from ``modgate.web.security``; a throttled sign-in is answered with
the sign-in page, its status (429 or 503) and ``Retry-After``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from modgate.auth.deps import (
    SESSION_COOKIE,
    SignInRequired,
    public,
    require_permission,
)
from modgate.auth.models import User
from modgate.auth.throttle import PasswordChecksBusyException, SignInThrottledException
from modgate.errors import (
    AuthenticationRequiredException,
    CsrfTokenException,
    InvalidParameterException,
    MediaDeletedException,
    ModgateError,
    ResourceNotFoundException,
)
from modgate.media.blobstore import check_key
from modgate.media.originals_cache import OriginalsCache, open_originals_cache
from modgate.media.previews import thumbnail_bytes
from modgate.media.proxy import PROXY_MIME, ensure_blurred_proxy, proxy_key
from modgate.media.store import record_from_row
from modgate.metrics.service import MetricsService
from modgate.metrics.summary import STEPS, SummaryQuery
from modgate.request_limits import read_form
from modgate.review.console import TaskMedia, my_stats, reveal, task_media, task_view
from modgate.review.models import QueueScope
from modgate.review.service import ReviewService
from modgate.tenants import DEFAULT_TENANT, checked_tenant
from modgate.web.admin import router as admin_router
from modgate.web.forms import verdict_from_form
from modgate.web.metrics_tuning import DASHBOARD_DAYS
from modgate.web.metrics_tuning import router as tuning_router
from modgate.web.pages import HERE, page
from modgate.web.policies import router as policies_router
from modgate.web.security import ConsoleSecurityHeaders, cookie_secure

LOGIN_CSRF_COOKIE = "modgate_login_csrf"
# The sign-in form has four fields; a few more are allowed for what browsers add.
LOGIN_FIELDS = 16
LOGIN_FIELD_BYTES = 4096
router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

Worker = Annotated[User, Depends(require_permission("review:work"))]
Viewer = Annotated[User, Depends(require_permission("queues:read"))]
Console = Annotated[User, Depends(require_permission("console"))]
Watcher = Annotated[User, Depends(require_permission("metrics:view"))]


def _reviews(request: Request) -> ReviewService:
    reviews: ReviewService = request.app.state.services.review
    return reviews


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/console") and not value.startswith("//"):
        return value
    return "/console"


@router.get("/login", dependencies=[Depends(public)])
async def login_page(
    request: Request, next: str | None = None, error: str | None = None
) -> Response:
    return await _login_form(request, next, "Wrong username or password." if error else None)


async def _login_form(
    request: Request,
    next: str | None,
    error: str | None,
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    token = secrets.token_urlsafe(24)
    response = await page(
        request, "login.html", None, status, login_csrf=token, next=_safe_next(next), error=error
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/console",
        secure=cookie_secure(request),
    )
    return response


@router.post("/login", dependencies=[Depends(public)])
async def login(request: Request) -> Response:
    form = await read_form(request, max_fields=LOGIN_FIELDS, max_part_size=LOGIN_FIELD_BYTES)
    username, password, csrf_token, next = (
        str(form.get(name) or "") for name in ("username", "password", "csrf_token", "next")
    )
    next = next or "/console"
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise CsrfTokenException()
    auth = request.app.state.services.auth
    address = request.client.host if request.client else None
    try:
        token, session = await run_in_threadpool(auth.sign_in, username, password, address)
    except AuthenticationRequiredException:
        return RedirectResponse(f"/console/login?error=1&next={quote(_safe_next(next))}", 303)
    except (SignInThrottledException, PasswordChecksBusyException) as refused:
        return await _login_form(
            request, next, refused.message, refused.http_status, refused.retry_after_seconds
        )
    response = RedirectResponse(_safe_next(next), 303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        path="/",
        max_age=int((session.expires_at - auth.clock()).total_seconds()),
        secure=cookie_secure(request),
    )
    response.delete_cookie(
        LOGIN_CSRF_COOKIE,
        path="/console",
        secure=cookie_secure(request),
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout")
async def logout(request: Request, _user: Console) -> Response:
    auth = request.app.state.services.auth
    await run_in_threadpool(auth.sign_out, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/console/login", 303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=cookie_secure(request), httponly=True, samesite="lax"
    )
    return response


@router.get("")
async def queues_page(
    request: Request, user: Viewer, empty: str | None = None, saved: str | None = None
) -> Response:
    service = _reviews(request)
    scope = service.scope_for(user.reviewer) if user.can("review:work") else QueueScope(None)
    stats = await run_in_threadpool(service.queue_stats, scope)
    current = (
        await run_in_threadpool(service.current_claim, user.reviewer)
        if user.can("review:work")
        else None
    )
    assigned = sorted(
        set(user.reviewer.queues)
        | (
            {service.settings.senior_queue, service.settings.appeals_queue}
            if user.role == "senior_reviewer"
            else set()
        )
    )
    return await page(
        request,
        "queues.html",
        user,
        stats=stats,
        current=current,
        assigned=assigned,
        empty=empty,
        saved=saved,
        can_review=user.can("review:work"),
    )


@router.post("/claim")
async def claim(request: Request, user: Worker) -> Response:
    form = await read_form(request)
    queue = str(form.get("queue") or "") or None
    claimed = await run_in_threadpool(_reviews(request).claim_next, user.reviewer, queue)
    if claimed is None:
        return RedirectResponse(f"/console?empty={quote(queue or '*')}", 303)
    return RedirectResponse(f"/console/tasks/{claimed.task_id}", 303)


@router.get("/tasks/{task_id}")
async def task_page(request: Request, task_id: str, user: Worker) -> Response:
    view = await run_in_threadpool(task_view, _reviews(request), task_id, user.reviewer)
    banks = await run_in_threadpool(
        request.app.state.services.banks.banks, view["moderation"]["tenant"]
    )
    # A block can put the item in one of its tenant's banks of known bad content.
    bank_names = [bank.name for bank in banks if not bank.negative]
    return await page(request, "task.html", user, view=view, bank_names=bank_names)


@router.post("/tasks/{task_id}/verdict")
async def submit_verdict(request: Request, task_id: str, user: Worker) -> Response:
    form = await read_form(request)
    service = _reviews(request)
    view = await run_in_threadpool(task_view, service, task_id, user.reviewer)
    verdict = verdict_from_form(form, [label["label"] for label in view["labels"]])
    bank = str(form.get("add_to_bank") or "") or None
    result = await run_in_threadpool(service.submit_verdict, task_id, user.reviewer, verdict, bank)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(result)
    return RedirectResponse(f"/console?saved={quote(result['status'])}", 303)


@router.post("/tasks/{task_id}/release")
async def release(request: Request, task_id: str, user: Worker) -> Response:
    await run_in_threadpool(_reviews(request).release, task_id, user.reviewer)
    return RedirectResponse("/console", 303)


@router.post("/tasks/{task_id}/skip")
async def skip(request: Request, task_id: str, user: Worker) -> Response:
    await run_in_threadpool(_reviews(request).skip, task_id, user.reviewer)
    return RedirectResponse("/console", 303)


@router.post("/tasks/{task_id}/reveal")
async def reveal_item(request: Request, task_id: str, user: Worker) -> dict[str, Any]:
    return await run_in_threadpool(reveal, _reviews(request), task_id, user.reviewer)


async def _task_media(request: Request, task_id: str, user: User) -> TaskMedia:
    return await run_in_threadpool(task_media, _reviews(request), task_id, user.reviewer)


def _image(data: bytes, blurred: bool) -> Response:
    return Response(data, media_type="image/jpeg", headers=_private(blurred))


def _private(blurred: bool) -> dict[str, str]:
    return {"Cache-Control": "private, no-store", "X-Modgate-Blurred": str(blurred).lower()}


@router.get("/tasks/{task_id}/preview")
async def preview(request: Request, task_id: str, user: Worker, blurred: bool = True) -> Response:
    """The still preview; clear only after this reviewer's reveal of the task."""
    found = await _task_media(request, task_id, user)
    blurred = blurred or not found.revealed
    data = await run_in_threadpool(
        request.app.state.services.media.preview, record_from_row(found.media), blurred
    )
    return _image(data, blurred)


@router.get("/tasks/{task_id}/media")
async def original_media(
    request: Request, task_id: str, user: Worker, blurred: bool = True
) -> Response:
    """The original file after the reveal, with HTTP Range support so the video player can
    seek; before it, the blurred rendition (a video's blurred proxy, an image's preview)."""
    found = await _task_media(request, task_id, user)
    media = found.media
    services = request.app.state.services
    gone = MediaDeletedException(f"The original of media {media.id} was deleted.")
    if not blurred and found.revealed:
        if media.originals_deleted_at is not None:
            raise gone
        path = await run_in_threadpool(_local_copy, request, media.blob_key)
        return FileResponse(path, media_type=media.mime, headers=_private(False))
    record = record_from_row(media)
    if media.kind != "video":
        return _image(await run_in_threadpool(services.media.preview, record, True), True)
    if media.originals_deleted_at is not None and not services.blobs.exists(
        proxy_key(media.sha256)
    ):
        raise gone
    key = await run_in_threadpool(
        ensure_blurred_proxy, services.blobs, record, services.media.preview_blur_radius
    )
    path = await run_in_threadpool(_local_copy, request, key)
    return FileResponse(path, media_type=PROXY_MIME, headers=_private(True))


@router.get("/tasks/{task_id}/thumbnails/{timestamp_ms}")
async def thumbnail(
    request: Request, task_id: str, timestamp_ms: int, user: Worker, blurred: bool = True
) -> Response:
    """The frame kept at a flagged moment, blurred until this reviewer revealed the task."""
    found = await _task_media(request, task_id, user)
    key = found.thumbnails.get(str(timestamp_ms))
    if key is None:
        raise ResourceNotFoundException(f"No thumbnail at {timestamp_ms} ms.")
    blurred = blurred or not found.revealed
    data = await run_in_threadpool(thumbnail_bytes, request.app.state.services.blobs, key, blurred)
    return _image(data, blurred)


def _local_copy(request: Request, key: str) -> Path:
    services = request.app.state.services
    settings = services.settings
    if settings.blob_store == "local":
        return Path(settings.resolved_blob_dir) / str(check_key(key))
    cache: OriginalsCache = request.app.state.originals_cache
    return cache.path(key)


@router.get("/me")
async def stats_page(request: Request, user: Worker) -> Response:
    stats = await run_in_threadpool(my_stats, _reviews(request), user.reviewer)
    return await page(request, "stats.html", user, stats=stats)


def _metrics(request: Request) -> MetricsService:
    metrics: MetricsService = request.app.state.services.metrics
    return metrics


@router.get("/metrics")
async def metrics_page(request: Request, user: Watcher, tenant: str = DEFAULT_TENANT) -> Response:
    """The operations dashboard: the last 30 days' figures, queue health, error-rate
    estimates with their intervals, and charts over time (drawn by ``metrics.js``)."""
    service = _metrics(request)
    tenant = checked_tenant(tenant)
    until = service.clock()
    query = SummaryQuery(tenant, until - dt.timedelta(days=DASHBOARD_DAYS), until)
    found = await run_in_threadpool(service.summary, query)
    queues = await run_in_threadpool(_reviews(request).queue_stats)
    measured = {
        name: item
        for name, item in found["categories"].items()
        if item["flagged"] or sum(item["sample_size"].values())
    }
    return await page(
        request,
        "metrics.html",
        user,
        summary=found,
        categories=measured,
        queues=queues,
        tenant=tenant,
        days=DASHBOARD_DAYS,
        steps=list(STEPS),
    )


@router.get("/metrics/series")
async def metrics_series(
    request: Request, user: Watcher, step: str = "day", tenant: str = DEFAULT_TENANT
) -> JSONResponse:
    """The dashboard's figures bucket by bucket, for its charts."""
    if step not in STEPS:
        raise InvalidParameterException(f"step must be one of {', '.join(STEPS)}.")
    query = SummaryQuery(checked_tenant(tenant))
    buckets = await run_in_threadpool(_metrics(request).series, query, step)
    return JSONResponse({"step": step, "tenant": query.tenant, "buckets": buckets})


def install_console(app: FastAPI) -> None:
    """Add the console, its static files and its security headers to ``app``; browsers asking
    for a page without a session are sent to the sign-in page."""

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(f"/console/login?next={quote(request.url.path)}", 303)
        assert isinstance(exc, ModgateError)
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    app.add_exception_handler(SignInRequired, sign_in_first)
    app.add_middleware(ConsoleSecurityHeaders)
    services = app.state.services
    app.state.originals_cache = open_originals_cache(services.settings, services.blobs)
    app.include_router(router)
    app.include_router(admin_router)
    app.include_router(policies_router)
    app.include_router(tuning_router)
    app.mount("/console/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
