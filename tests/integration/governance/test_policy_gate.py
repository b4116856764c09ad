"""Gated activation on SQLite and PostgreSQL: a version is activated only after its test cases
pass and a backtest report is attached for the surface; with one approval required, only after
another policy editor approved; a rollback needs neither; each step is recorded with the
change, and a refused activation changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from modgate.audit import AuditEntryRow
from modgate.errors import PolicyActivationRefusedException, PolicyCasesError
from modgate.services import Services
from modgate.settings import load_settings

POLICIES = Path(__file__).parents[3] / "policies"
SEED = (POLICIES / "seed.yaml").read_text()
KIDS = (POLICIES / "kids.yaml").read_text()
SEED_CASES = (POLICIES / "seed.cases.yaml").read_text()
KIDS_CASES = (POLICIES / "kids.cases.yaml").read_text()
# Seed blocks explicit nudity at 95: a case saying it is allowed fails.
WRONG_CASES = """cases:
  - name: explicit nudity is allowed (it is not)
    labels: {Explicit Nudity: 95}
    expect: allow
"""


def build(tmp_path: Path, url: str, approvals: int = 0) -> Services:
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=url,
        detection={"enabled": ["marker"]},
        policy={"activation_approvals": approvals},
    )
    return Services.build(settings, role="cli")


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    built = build(tmp_path, database_url)
    yield built
    built.close()


def changes(services: Services, kind: str) -> list[dict[str, Any]]:
    """The audit entries of ``kind``, oldest first."""
    with services.sessions() as session:
        rows = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.kind == kind).order_by(AuditEntryRow.seq)
        )
        return [
            {"actor": r.actor, "object": r.object, "details": json.loads(r.detail)} for r in rows
        ]


def test_a_version_whose_case_fails_is_refused_until_its_cases_pass(services: Services) -> None:
    gov = services.governance
    seed = gov.save(SEED, actor="user:ana")
    assert gov.save(SEED, actor="user:ben") == seed  # the same policy: nothing new
    assert [c["actor"] for c in changes(services, "policy.saved")] == ["user:ana"]
    with pytest.raises(PolicyActivationRefusedException) as refused:
        gov.activate(seed.version, "default", actor="user:ana")
    assert "test cases have not been run" in refused.value.message
    assert "no backtest report" in refused.value.message

    run = gov.run_cases(seed.version, WRONG_CASES, actor="user:ana")
    assert (run.total, run.failed, run.passed) == (1, 1, False)
    assert run.results[0]["action"] == "block"
    gov.backtest(seed.version, "default", actor="user:ana")
    with pytest.raises(PolicyActivationRefusedException) as refused:
        gov.activate(seed.version, "default", actor="user:ana")
    assert "newest test-case run failed (1 of 1 cases)" in refused.value.message
    assert services.policies.active_for("default") is None
    assert changes(services, "policy.activated") == []

    assert gov.run_cases(seed.version, SEED_CASES, actor="user:ana").passed
    activation = gov.activate(seed.version, "default", actor="user:ana")
    assert services.policies.active_for("default").version == seed.version  # type: ignore[union-attr]
    (recorded,) = changes(services, "policy.activated")
    assert recorded["actor"] == "user:ana" and recorded["object"] == f"policy:{seed.version}"
    assert recorded["details"]["surface"] == "default" and recorded["details"]["backtest"]
    assert services.policies.history("default")[0].id == activation.id


def test_a_backtest_attached_to_another_surface_does_not_open_the_gate(
    services: Services,
) -> None:
    gov = services.governance
    seed = gov.save(SEED, actor="user:ana")
    gov.run_cases(seed.version, SEED_CASES, actor="user:ana")
    gov.backtest(seed.version, "kids", actor="user:ana")
    status = gov.gate(seed.version, "dating", "user:ana")
    assert status.missing == ["no backtest report is attached for the surface 'dating'"]
    assert gov.gate(seed.version, "kids", "user:ana").open


def test_cases_that_cannot_be_read_keep_no_run(services: Services) -> None:
    gov = services.governance
    seed = gov.save(SEED, actor="user:ana")
    with pytest.raises(PolicyCasesError):
        gov.run_cases(seed.version, "cases: 3", actor="user:ana")
    assert gov.case_runs(seed.version) == []


def test_four_eyes_needs_another_editor_and_spends_the_approval(
    tmp_path: Path, database_url: str
) -> None:
    services = build(tmp_path, database_url, approvals=1)
    try:
        gov = services.governance
        seed = gov.save(SEED, actor="user:ana")
        gov.run_cases(seed.version, SEED_CASES, actor="user:ana")
        gov.backtest(seed.version, "default", actor="user:ana")
        with pytest.raises(PolicyActivationRefusedException) as refused:
            gov.activate(seed.version, "default", actor="user:ana")
        assert "needs 1 approval by another policy editor" in refused.value.message

        # Her own approval does not count for her.
        gov.approve(seed.version, "default", actor="user:ana")
        with pytest.raises(PolicyActivationRefusedException):
            gov.activate(seed.version, "default", actor="user:ana")
        # An approval for another surface does not count either.
        gov.approve(seed.version, "kids", actor="user:ben")
        with pytest.raises(PolicyActivationRefusedException):
            gov.activate(seed.version, "default", actor="user:ana")

        gov.approve(seed.version, "default", actor="user:ben")
        gov.activate(seed.version, "default", actor="user:ana")
        assert [c["actor"] for c in changes(services, "policy.approved")] == [
            "user:ana",
            "user:ben",
            "user:ben",
        ]
        (activated,) = changes(services, "policy.activated")
        assert len(activated["details"]["approvals"]) == 1

        # A second version; then back to the first: its approval was used up, so activating
        # it again needs a new one, while a rollback needs none.
        kids = gov.save(KIDS, actor="user:ben")
        gov.run_cases(kids.version, KIDS_CASES, actor="user:ben")
        gov.backtest(kids.version, "default", actor="user:ben")
        gov.approve(kids.version, "default", actor="user:ana")
        gov.activate(kids.version, "default", actor="user:ben")
        with pytest.raises(PolicyActivationRefusedException):
            gov.activate(seed.version, "default", actor="user:ana")
        rolled = gov.rollback("default", actor="user:ben")
        assert rolled.version == seed.version
        assert services.policies.active_for("default").version == seed.version  # type: ignore[union-attr]
        (rollback,) = changes(services, "policy.rolled_back")
        assert rollback["actor"] == "user:ben" and rollback["object"] == f"policy:{seed.version}"
    finally:
        services.close()
