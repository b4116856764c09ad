"""Policy pages of the console (``/console/policies``) for policy editors (and admins; auditors
read them): the surfaces with their active version and every activation, the stored versions,
a new version's YAML with its validation errors at line and column, a version's test cases run
and kept, a backtest against stored history with its report and charts, the diff against a
surface's active version, approvals, and gated activation and rollback
(``modgate.governance.policy_gate``: the same gate as ``modgate policy activate``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from modgate.auth.deps import actor_of, require_permission
from modgate.auth.models import User
from modgate.errors import (
    InvalidParameterException,
    ModgateError,
    PolicyValidationError,
    ResourceNotFoundException,
)
from modgate.governance.policy_gate import PolicyGovernance
from modgate.governance.policy_problems import Problem, problems_of
from modgate.governance.policy_records import checked_surface
from modgate.policy.history import window_bound
from modgate.request_limits import read_form
from modgate.web.charts import diff_lines, shares_svg, sweep_svg
from modgate.web.pages import form_text as _text
from modgate.web.pages import names_of_users, page, refused, wants_json

router = APIRouter(prefix="/console/policies", tags=["console"], include_in_schema=False)

Reader = Annotated[User, Depends(require_permission("policy:read"))]
Editor = Annotated[User, Depends(require_permission("policy:edit"))]


def _governance(request: Request) -> PolicyGovernance:
    governance: PolicyGovernance = request.app.state.services.governance
    return governance


def _surface(request: Request, given: str | None = None) -> str:
    """The surface a form or link names, or the default surface."""
    return checked_surface((given or "").strip() or _governance(request).settings.default_surface)


# overview and new versions -------------------------------------------------------------------
def _overview(governance: PolicyGovernance) -> dict[str, Any]:
    store = governance.store
    surfaces = [
        {"name": s, "active": store.active_for(s), "history": store.history(s)}
        for s in governance.surfaces()
    ]
    return {"surfaces": surfaces, "versions": store.versions()}


async def _policies_page(
    request: Request,
    user: User,
    status: int = 200,
    error: str | None = None,
    source: str = "",
    problems: list[Problem] | None = None,
) -> Response:
    context = await run_in_threadpool(_overview, _governance(request))
    marked = {p.line for p in problems or []}
    return await page(
        request,
        "policies.html",
        user,
        status,
        names=await run_in_threadpool(names_of_users, request),
        error=error,
        source=source,
        problems=problems or [],
        source_lines=list(enumerate(source.splitlines(), 1)) if problems else [],
        marked=marked,
        **context,
    )


@router.get("")
async def policies_page(request: Request, user: Reader) -> Response:
    return await _policies_page(request, user)


@router.post("")
async def save_policy(request: Request, user: Editor) -> Response:
    """Save a new version; a policy with problems comes back with each at its line and
    column, and nothing is stored."""
    form = await read_form(request)
    source, note = _text(form, "source"), _text(form, "note").strip()
    governance = _governance(request)
    try:
        if not source.strip():
            raise InvalidParameterException("Paste the policy's YAML.")
        stored = await run_in_threadpool(
            lambda: governance.save(source, actor=actor_of(request), note=note)
        )
    except PolicyValidationError as error:
        if wants_json(request):
            raise
        problems = [Problem.parse(p) for p in error.problems]
        return await _policies_page(
            request, user, 400, "The policy has problems; nothing was saved.", source, problems
        )
    except ModgateError as error:
        return await refused(
            request, error, lambda **kw: _policies_page(request, user, source=source, **kw)
        )
    return RedirectResponse(f"/console/policies/{stored.version}", 303)


# one version ---------------------------------------------------------------------------------
def _version_view(
    governance: PolicyGovernance, version: str, surface: str, actor: str
) -> dict[str, Any]:
    store = governance.store
    stored = store.get(version)
    active = store.active_for(surface)
    runs = governance.case_runs(stored.version)
    return {
        "policy": stored,
        "surface": surface,
        "surfaces": sorted(set(governance.surfaces()) | {surface}),
        "active": active,
        "diff": diff_lines(active.source, stored.source) if active else [],
        "gate": governance.gate(stored.version, surface, actor),
        "runs": runs,
        "cases_source": runs[0].cases_source if runs else "",
        "backtests": governance.backtests(stored.version, surface),
        "warnings": problems_of(stored.source)[1],
        "source_lines": list(enumerate(stored.source.splitlines(), 1)),
        "approvals_needed": governance.settings.activation_approvals,
    }


async def _version_page(
    request: Request,
    user: User,
    version: str,
    surface: str | None = None,
    status: int = 200,
    error: str | None = None,
) -> Response:
    view = await run_in_threadpool(
        _version_view, _governance(request), version, _surface(request, surface), actor_of(request)
    )
    names = await run_in_threadpool(names_of_users, request)
    return await page(request, "policy.html", user, status, error=error, names=names, **view)


def _back(version: str, surface: str) -> Response:
    return RedirectResponse(f"/console/policies/{version}?surface={quote(surface, safe='')}", 303)


@router.get("/{version}")
async def version_page(
    request: Request, version: str, user: Reader, surface: str | None = None
) -> Response:
    return await _version_page(request, user, version, surface)


async def _form_action(
    request: Request, user: User, version: str, work: Any, success: Any = None
) -> Response:
    """Run one of the version page's forms: ``work(form, surface, governance, actor)`` in a
    thread; back to the page (or ``success(result, surface)``), or the page with the reason."""
    form = await read_form(request)
    governance = _governance(request)
    surface = _surface(request, _text(form, "surface"))
    actor = actor_of(request)
    try:
        stored = await run_in_threadpool(governance.store.get, version)
        result = await run_in_threadpool(work, form, surface, governance, actor, stored.version)
    except ModgateError as error:
        return await refused(
            request, error, lambda **kw: _version_page(request, user, version, surface, **kw)
        )
    return success(result, surface) if success else _back(stored.version, surface)


@router.post("/{version}/cases")
async def run_cases(request: Request, version: str, user: Editor) -> Response:
    return await _form_action(
        request,
        user,
        version,
        lambda form, _surface, gov, actor, full: gov.run_cases(
            full, _text(form, "cases"), actor=actor
        ),
    )


@router.post("/{version}/backtest")
async def backtest(request: Request, version: str, user: Editor) -> Response:
    def work(form: Any, surface: str, gov: PolicyGovernance, actor: str, full: str) -> Any:
        since = window_bound(_text(form, "since"), "since")
        until = window_bound(_text(form, "until"), "until")
        return gov.backtest(full, surface, actor=actor, since=since, until=until)

    return await _form_action(
        request,
        user,
        version,
        work,
        lambda record, _surface: RedirectResponse(
            f"/console/policies/{record.version}/backtests/{record.id}", 303
        ),
    )


@router.post("/{version}/approve")
async def approve(request: Request, version: str, user: Editor) -> Response:
    return await _form_action(
        request,
        user,
        version,
        lambda _form, surface, gov, actor, full: gov.approve(full, surface, actor=actor),
    )


@router.post("/{version}/activate")
async def activate(request: Request, version: str, user: Editor) -> Response:
    return await _form_action(
        request,
        user,
        version,
        lambda form, surface, gov, actor, full: gov.activate(
            full, surface, actor=actor, note=_text(form, "note").strip()
        ),
    )


@router.get("/{version}/backtests/{backtest_id}")
async def backtest_page(request: Request, version: str, backtest_id: str, user: Reader) -> Response:
    governance = _governance(request)
    stored = await run_in_threadpool(governance.store.get, version)
    record = await run_in_threadpool(governance.get_backtest, backtest_id)
    if record.version != stored.version:
        raise ResourceNotFoundException(f"No backtest {backtest_id!r} of this version.")
    report = record.report
    charts = [sweep_svg(category, rows) for category, rows in sorted(report["sweep"].items())]
    return await page(
        request,
        "backtest.html",
        user,
        names=await run_in_threadpool(names_of_users, request),
        policy=stored,
        record=record,
        report=report,
        shares=shares_svg(report),
        charts=charts,
    )


@router.post("/surfaces/{surface}/rollback")
async def rollback(request: Request, surface: str, user: Editor) -> Response:
    governance = _governance(request)
    try:
        activation = await run_in_threadpool(
            lambda: governance.rollback(_surface(request, surface), actor=actor_of(request))
        )
    except ModgateError as error:
        return await refused(request, error, lambda **kw: _policies_page(request, user, **kw))
    return _back(activation.version, activation.surface)
