"""The auditor's pages of the console (``/console/audit``, permission ``audit:read``): the audit
log searched by actor, kind, object and time, and the history of one item — upload, detection,
decision, reviews, appeal — with the policy version of each decision and who did what.

Auditors are staff: they see every tenant's entries. The pages only read; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from modgate.audit import KINDS, AuditEntry
from modgate.audit.service import AuditQuery, AuditService
from modgate.auth.deps import require_permission
from modgate.auth.models import User
from modgate.errors import InvalidParameterException, ResourceNotFoundException
from modgate.web.pages import page

router = APIRouter(prefix="/console/audit", tags=["console"], include_in_schema=False)
Auditor = Annotated[User, Depends(require_permission("audit:read"))]
PAGE = 50
# What each kind of entry says on an item's history, in the words an auditor reads.
STEPS = {
    "moderation.created": "Uploaded",
    "moderation.completed": "Decided",
    "review.created": "Sent to review",
    "review.verdict": "Reviewer verdict",
    "review.completed": "Review decided",
    "review.escalated": "Escalated",
    "appeal.created": "Appealed",
    "appeal.resolved": "Appeal decided",
    "preview.revealed": "Unblurred by a reviewer",
    "media.clear_read": "Clear pixels read through the API",
    "job.cancelled": "Job cancelled",
    "job.retried": "Job retried",
}


def _audit(request: Request) -> AuditService:
    service: AuditService = request.app.state.services.audit
    return service


def _moment(text: str | None, name: str) -> dt.datetime | None:
    """A time from the form (``datetime-local`` sends no zone: it is UTC), or None."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidParameterException(f"{name}: {text!r} is not a date and time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _names(request: Request) -> dict[str, str]:
    """``user:<id>`` → username, so the pages say who did what."""
    users = request.app.state.services.auth.list_users()
    return {f"user:{u.id}": u.username for u in users}


@router.get("")
async def audit_page(
    request: Request,
    user: Auditor,
    actor: str = "",
    kind: str = "",
    object: str = "",
    since: str = "",
    until: str = "",
    cursor: str = "",
) -> Response:
    error = None
    entries: list[AuditEntry] = []
    next_cursor = None
    try:
        query = AuditQuery(
            None,
            _moment(since, "From"),
            _moment(until, "Until"),
            actor.strip() or None,
            kind or None,
            object.strip() or None,
        )
        entries, next_cursor = await run_in_threadpool(
            _audit(request).entries, query, cursor or None, PAGE
        )
    except InvalidParameterException as exc:
        error = exc.message
    form = {"actor": actor, "kind": kind, "object": object, "since": since, "until": until}
    return await page(
        request,
        "audit.html",
        user,
        status=400 if error else 200,
        entries=entries,
        names=await run_in_threadpool(_names, request),
        kinds=KINDS,
        form=form,
        error=error,
        next_cursor=next_cursor,
        size=await run_in_threadpool(_audit(request).size),
    )


@router.get("/history")
async def history_page(request: Request, user: Auditor, object: str = "") -> Response:
    """The history of one item (``moderation:<id>``, or a bare moderation id), oldest first."""
    subject = object.strip()
    if subject and ":" not in subject:
        subject = f"moderation:{subject}"
    entries: list[AuditEntry] = []
    cursor = None
    while subject:
        page_entries, cursor = await run_in_threadpool(
            _audit(request).entries, AuditQuery(object=subject), cursor, 500
        )
        entries.extend(page_entries)
        if cursor is None:
            break
    moderation = None
    if subject.startswith("moderation:"):
        try:
            moderation = await run_in_threadpool(
                request.app.state.services.moderations.get, subject.partition(":")[2]
            )
        except ResourceNotFoundException:
            moderation = None
    found = bool(entries) or moderation is not None
    return await page(
        request,
        "audit_history.html",
        user,
        status=200 if found or not subject else 404,
        subject=subject,
        entries=entries,
        moderation=moderation,
        steps=STEPS,
        facts=facts,
        names=await run_in_threadpool(_names, request),
        policy_versions=_policy_versions(entries),
    )


def facts(detail: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What an entry's detail says, as (words, value) pairs in reading order."""
    said: list[tuple[str, str]] = []
    action, final = detail.get("action"), detail.get("final_action")
    if action:
        said.append(("action", str(action)))
    if final and final != action:
        said.append(("final", str(final)))
    for key, words in (
        ("outcome", ""),
        ("previous_action", "was"),
        ("policy_version", "policy"),
        ("rule", "rule"),
        ("queue", "queue"),
        ("reason", ""),
        ("reviewers", "reviewers:"),
        ("role", "role"),
        ("disabled", "disabled:"),
        ("surface", "surface"),
    ):
        value = detail.get(key)
        if value is not None and value != "":
            text = str(value)[:12] if key == "policy_version" else str(value)
            said.append((words, text))
    return said


def _policy_versions(entries: list[AuditEntry]) -> list[str]:
    """Every policy version an item's decisions named, in the order they did."""
    seen: list[str] = []
    for entry in entries:
        version = entry.detail.get("policy_version")
        if isinstance(version, str) and version not in seen:
            seen.append(version)
    return seen
