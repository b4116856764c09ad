"""Gated activation of policy versions, for the console and the command line alike.

A stored version may become the active policy of a surface only when

1. its newest test-case run passed (at least one case, none failing),
2. a backtest report against stored history is attached to it for that surface, and
3. with ``policy.activation_approvals = N`` (``MODGATE_POLICY__ACTIVATION_APPROVALS``), N policy
   editors other than the one activating approved it for that surface (four eyes with 1).

An approval is used up by the activation it allowed. A rollback re-activates the version that
was active before the current one: that version passed the gate when it was first activated,
so a rollback needs no new approval and can be done at once; it is recorded as an activation
(``policy.rolled_back``). Every save, case run, backtest, approval, activation and rollback is
recorded in the audit log (``record_change``) in the transaction that stores it.

The records it keeps are in ``modgate.governance.policy_records``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import new_id, transaction, utcnow
from modgate.errors import (
    ConflictException,
    PolicyActivationRefusedException,
    ResourceNotFoundException,
)
from modgate.events.changes import Change, record_change
from modgate.governance.policy_records import (
    Approval,
    BacktestRecord,
    CaseRun,
    GateStatus,
    approval_from,
    backtest_from,
    case_run_from,
    checked_surface,
    open_approvals,
)
from modgate.policy.backtest import run_backtest, uses_text
from modgate.policy.cases import run_cases
from modgate.policy.history import iter_history
from modgate.policy.loader import policy_from_text
from modgate.policy.settings import PolicySettings
from modgate.policy.store import Activation, SqlPolicyStore, StoredPolicy, previous_version
from modgate.policy.tables import (
    PolicyActivationRow,
    PolicyApprovalRow,
    PolicyBacktestRow,
    PolicyCaseRunRow,
)


class PolicyGovernance:
    """Saving, testing, backtesting, approving and activating policy versions, each recorded."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: SqlPolicyStore,
        settings: PolicySettings,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.settings = settings
        self.clock = clock

    # versions --------------------------------------------------------------------------------
    def save(self, source: str, *, actor: str, note: str = "") -> StoredPolicy:
        """Validate and store a policy's YAML (``PolicyValidationError`` with every problem)."""
        policy = policy_from_text(source, "policy.yaml")
        with transaction(self.sessions) as session:
            return self.store.save_in(session, policy, actor, note)[0]

    def surfaces(self) -> list[str]:
        """Every surface with an activation, and the default surface."""
        with self.sessions() as session:
            found = set(session.scalars(select(PolicyActivationRow.surface).distinct()))
        return sorted(found | {self.settings.default_surface})

    # test cases ------------------------------------------------------------------------------
    def run_cases(self, version: str, cases_source: str, *, actor: str) -> CaseRun:
        """Run ``cases_source`` (a cases YAML) against the stored version and keep the run.
        A file that cannot be read as cases raises ``PolicyCasesError`` and keeps nothing."""
        stored = self.store.get(version)
        results = run_cases(stored.load(), "cases.yaml", text=cases_source)
        rows = [
            {
                "name": r.name,
                "where": r.where,
                "passed": r.passed,
                "expected": r.expected,
                "action": r.decision.action if r.decision else None,
                "rule": r.decision.rule if r.decision else None,
                "problems": list(r.problems),
            }
            for r in results
        ]
        failed = sum(1 for r in results if not r.passed)
        row = PolicyCaseRunRow(
            id=new_id("pcr"),
            version=stored.version,
            cases_source=cases_source,
            total=len(results),
            failed=failed,
            results=rows,
            actor=actor,
            created_at=self.clock(),
        )
        self._record(
            Change(
                kind="policy.tested",
                actor=actor,
                object=f"policy:{stored.version}",
                payload={"cases": cases_source, "results": rows},
                detail={"run": row.id, "total": len(results), "failed": failed},
            ),
            row,
        )
        return case_run_from(row)

    def case_runs(self, version: str) -> list[CaseRun]:
        query = (
            select(PolicyCaseRunRow)
            .where(PolicyCaseRunRow.version == self.store.get(version).version)
            .order_by(PolicyCaseRunRow.created_at.desc())
        )
        with self.sessions() as session:
            return [case_run_from(r) for r in session.scalars(query)]

    # backtests -------------------------------------------------------------------------------
    def backtest(
        self,
        version: str,
        surface: str,
        *,
        actor: str,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> BacktestRecord:
        """Replay the surface's stored history through the version, compared with the
        surface's active policy, and attach the report to the version."""
        stored = self.store.get(version)
        candidate = stored.load()
        current = self.store.active_for(surface)
        active = current.load() if current else None
        items = iter_history(
            self.sessions,
            since=since,
            until=until,
            # The default surface also decides moderations that named none.
            surface=None if surface == self.settings.default_surface else surface,
            batch=self.settings.backtest_batch,
            with_text=uses_text(candidate) or (active is not None and uses_text(active)),
        )
        report = run_backtest(candidate, items, active).to_dict()
        return self.attach_backtest(
            stored.version, surface, report, actor=actor, since=since, until=until
        )

    def attach_backtest(
        self,
        version: str,
        surface: str,
        report: dict[str, Any],
        *,
        actor: str,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> BacktestRecord:
        stored = self.store.get(version)
        if report.get("candidate_version") != stored.version:
            raise ConflictException("the backtest report is of another policy version")
        row = PolicyBacktestRow(
            id=new_id("pbt"),
            version=stored.version,
            surface=checked_surface(surface),
            since=since,
            until=until,
            report=report,
            actor=actor,
            created_at=self.clock(),
        )
        self._record(
            Change(
                kind="policy.backtested",
                actor=actor,
                object=f"policy:{stored.version}",
                payload={"report": report},
                detail={"backtest": row.id, "surface": row.surface, "total": report["total"]},
            ),
            row,
        )
        return backtest_from(row)

    def backtests(self, version: str, surface: str | None = None) -> list[BacktestRecord]:
        query = select(PolicyBacktestRow).where(
            PolicyBacktestRow.version == self.store.get(version).version
        )
        if surface is not None:
            query = query.where(PolicyBacktestRow.surface == surface)
        query = query.order_by(PolicyBacktestRow.created_at.desc())
        with self.sessions() as session:
            return [backtest_from(r) for r in session.scalars(query)]

    def get_backtest(self, backtest_id: str) -> BacktestRecord:
        with self.sessions() as session:
            row = session.get(PolicyBacktestRow, backtest_id)
            if row is None:
                raise ResourceNotFoundException(f"No backtest {backtest_id!r}.")
            return backtest_from(row)

    # approvals and activation ----------------------------------------------------------------
    def approve(self, version: str, surface: str, *, actor: str) -> Approval:
        """Approve activating ``version`` on ``surface``; counts for an activation by anyone
        but ``actor``. Approving twice is one approval."""
        stored = self.store.get(version)
        surface = checked_surface(surface)
        with transaction(self.sessions) as session:
            mine = [
                a for a in open_approvals(session, stored.version, surface) if a.approver == actor
            ]
            if mine:
                return mine[0]
            row = PolicyApprovalRow(
                id=new_id("pap"),
                version=stored.version,
                surface=surface,
                approver=actor,
                created_at=self.clock(),
            )
            session.add(row)
            session.flush()
            record_change(
                session,
                Change(
                    kind="policy.approved",
                    actor=actor,
                    object=f"policy:{stored.version}",
                    detail={"surface": surface, "approval": row.id},
                ),
            )
            return approval_from(row)

    def gate(self, version: str, surface: str, actor: str) -> GateStatus:
        stored = self.store.get(version)
        surface = checked_surface(surface)
        with self.sessions() as session:
            return self._gate(session, stored.version, surface, actor)

    def _gate(self, session: Session, version: str, surface: str, actor: str) -> GateStatus:
        case_row = session.scalars(
            select(PolicyCaseRunRow)
            .where(PolicyCaseRunRow.version == version)
            .order_by(PolicyCaseRunRow.created_at.desc())
            .limit(1)
        ).first()
        backtest_row = session.scalars(
            select(PolicyBacktestRow)
            .where(PolicyBacktestRow.version == version, PolicyBacktestRow.surface == surface)
            .order_by(PolicyBacktestRow.created_at.desc())
            .limit(1)
        ).first()
        approvals = open_approvals(session, version, surface)
        others = [a for a in approvals if a.approver != actor]
        needed = self.settings.activation_approvals
        cases = case_run_from(case_row) if case_row else None
        missing = []
        if cases is None:
            missing.append("its test cases have not been run")
        elif not cases.passed:
            missing.append(
                f"its newest test-case run failed ({cases.failed} of {cases.total} cases)"
                if cases.total
                else "its newest test-case run had no cases"
            )
        if backtest_row is None:
            missing.append(f"no backtest report is attached for the surface {surface!r}")
        if len(others) < needed:
            missing.append(
                f"it needs {needed} approval{'s' if needed > 1 else ''} by another policy "
                f"editor for {surface!r} (has {len(others)})"
            )
        return GateStatus(
            version,
            surface,
            cases,
            backtest_from(backtest_row) if backtest_row else None,
            approvals,
            needed,
            missing,
        )

    def activate(self, version: str, surface: str, *, actor: str, note: str = "") -> Activation:
        """Activate through the gate (``PolicyActivationRefusedException`` naming what is
        missing); the approvals it used are spent in the same transaction."""
        stored = self.store.get(version)
        surface = checked_surface(surface)
        with transaction(self.sessions) as session:
            status = self._gate(session, stored.version, surface, actor)
            if not status.open:
                raise PolicyActivationRefusedException(
                    f"Version {stored.version[:12]} cannot be activated on {surface!r}: "
                    + "; ".join(status.missing)
                    + ".",
                    missing=status.missing,
                )
            used = [a.id for a in status.approvals if a.approver != actor]
            spent = used[: status.approvals_needed]
            evidence = {
                "cases_run": status.cases.id if status.cases else None,
                "backtest": status.backtest.id if status.backtest else None,
                "approvals": spent,
            }
            activation = self.store.activate_in(
                session, stored.version, surface, actor, note, evidence=evidence
            )
            for approval_id in spent:
                row = session.get(PolicyApprovalRow, approval_id)
                assert row is not None
                row.activation_id = activation.id
            return activation

    def rollback(self, surface: str, *, actor: str, note: str = "") -> Activation:
        """Re-activate the version active before the current one (recorded as an activation)."""
        surface = checked_surface(surface)
        target = previous_version(self.store.history(surface))
        with transaction(self.sessions) as session:
            return self.store.activate_in(
                session, target, surface, actor, note or "rollback", kind="policy.rolled_back"
            )

    def _record(self, change: Change, *rows: Any) -> None:
        with transaction(self.sessions) as session:
            session.add_all(rows)
            session.flush()
            record_change(session, change)
