"""What the policy gate keeps and reads: a test-case run, an attached backtest report, an
approval, and the gate's status for one version on one surface (what its activation still
needs), each read from its row; the open approvals of a version, and the check of a surface
name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from modgate.errors import InvalidParameterException
from modgate.policy.tables import PolicyApprovalRow, PolicyBacktestRow, PolicyCaseRunRow


@dataclass(frozen=True, slots=True)
class CaseRun:
    id: str
    version: str
    total: int
    failed: int
    results: list[dict[str, Any]]
    actor: str
    created_at: dt.datetime
    cases_source: str = ""

    @property
    def passed(self) -> bool:
        return self.total > 0 and self.failed == 0


@dataclass(frozen=True, slots=True)
class BacktestRecord:
    id: str
    version: str
    surface: str
    report: dict[str, Any]
    actor: str
    created_at: dt.datetime
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Approval:
    id: str
    version: str
    surface: str
    approver: str
    created_at: dt.datetime
    activation_id: str | None


@dataclass(frozen=True, slots=True)
class GateStatus:
    """What activating ``version`` on ``surface`` by ``actor`` still needs (``missing``)."""

    version: str
    surface: str
    cases: CaseRun | None
    backtest: BacktestRecord | None
    approvals: list[Approval]
    approvals_needed: int
    missing: list[str] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return not self.missing


def checked_surface(surface: str) -> str:
    """``surface`` without surrounding spaces; ``InvalidParameterException`` unless 1-64
    characters (the column's width)."""
    surface = surface.strip()
    if not surface or len(surface) > 64:
        raise InvalidParameterException("A surface name is 1-64 characters.")
    return surface


def open_approvals(session: Session, version: str, surface: str) -> list[Approval]:
    rows = session.scalars(
        select(PolicyApprovalRow)
        .where(
            PolicyApprovalRow.version == version,
            PolicyApprovalRow.surface == surface,
            PolicyApprovalRow.activation_id.is_(None),
        )
        .order_by(PolicyApprovalRow.created_at)
    )
    return [approval_from(r) for r in rows]


def case_run_from(row: PolicyCaseRunRow) -> CaseRun:
    return CaseRun(
        row.id,
        row.version,
        row.total,
        row.failed,
        list(row.results),
        row.actor,
        row.created_at,
        row.cases_source,
    )


def backtest_from(row: PolicyBacktestRow) -> BacktestRecord:
    return BacktestRecord(
        row.id,
        row.version,
        row.surface,
        dict(row.report),
        row.actor,
        row.created_at,
        row.since,
        row.until,
    )


def approval_from(row: PolicyApprovalRow) -> Approval:
    return Approval(
        row.id, row.version, row.surface, row.approver, row.created_at, row.activation_id
    )
