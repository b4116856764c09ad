"""``modgate policy`` commands, run through typer as a user would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from policy_helpers import POLICIES
from typer.testing import CliRunner

from modgate.cli import app
from modgate.errors import ModgateError


def run(*args: str) -> tuple[int, str]:
    """Exit code and output; a ModgateError becomes ``CODE: message`` and exit 2, like main()."""
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, ModgateError):
        return 2, f"{result.exception.code}: {result.exception.message}"
    return result.exit_code, result.output


def test_check_ok_and_with_problems(tmp_path: Path) -> None:
    code, out = run("policy", "check", str(POLICIES / "seed.yaml"))
    assert code == 0 and "ok — policy seed version" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy: x\ncategories:\n  Explict: {block: 90}\n")
    code, out = run("policy", "check", str(bad))
    assert code == 2
    assert out.startswith(f"PolicyValidationError: {bad}:3:3: 'Explict' is not a label")


def test_explain_text_and_json(tmp_path: Path) -> None:
    detections = tmp_path / "scan.json"
    detections.write_text(
        json.dumps(
            {
                "ModerationLabels": [
                    {
                        "Name": "Physical Violence",
                        "ParentName": "Graphic Violence",
                        "TaxonomyLevel": 3,
                        "Confidence": 55.0,
                    },
                    {
                        "Name": "Graphic Violence",
                        "ParentName": "Violence",
                        "TaxonomyLevel": 2,
                        "Confidence": 55.0,
                    },
                    {"Name": "Violence", "ParentName": "", "TaxonomyLevel": 1, "Confidence": 55.0},
                ],
                "ModerationModelVersion": "7.0",
            }
        )
    )
    kids = str(POLICIES / "kids.yaml")
    code, out = run(
        "policy",
        "explain",
        kids,
        "--detections",
        str(detections),
        "--context",
        "region=DE,surface=kids,local_time=21:30,item_key=a",
    )
    assert (
        code == 0
        and "night/Violence" in out
        and out.strip().endswith("BLOCK by rule night/Violence")
    )
    code, out = run(
        "policy",
        "explain",
        kids,
        "--detections",
        str(detections),
        "--context",
        "surface=kids,timezone=Europe/Berlin,item_key=a",
        "--now",
        "2026-11-25T10:00:00+00:00",
        "--format",
        "json",
    )
    body = json.loads(out)
    assert code == 0 and body["action"] == "review" and body["rule"] == "kids-violence"
    assert len(body["policy_version"]) == 64 and body["trace"]
    code, out = run("policy", "explain", kids, "--detections", str(tmp_path / "none.json"))
    assert code == 2 and out.startswith("InvalidParameterException:")
    code, out = run(
        "policy",
        "explain",
        kids,
        "--detections",
        str(detections),
        "--context",
        "timezone=Nowhere/City",
    )
    assert code == 2 and out.startswith("InvalidContextError: unknown time zone")


def test_test_command_passes_and_fails(tmp_path: Path) -> None:
    code, out = run(
        "policy", "test", str(POLICIES / "seed.yaml"), str(POLICIES / "seed.cases.yaml")
    )
    assert code == 0 and "21/21 cases passed" in out
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n  - name: wrong on purpose\n    labels: {Explicit: 95}\n    expect: allow\n"
    )
    code, out = run("policy", "test", str(POLICIES / "seed.yaml"), str(cases))
    assert code == 1
    assert "FAIL wrong on purpose" in out and "expected allow, got block" in out
    cases.write_text("cases: []\n")
    code, out = run("policy", "test", str(POLICIES / "seed.yaml"), str(cases))
    assert code == 2 and out.startswith("PolicyCasesError:")


def test_store_commands_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modgate.db import upgrade

    monkeypatch.setenv("MODGATE_DATA_DIR", str(tmp_path / "data"))  # blobs and spool
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    seed = str(POLICIES / "seed.yaml")
    code, out = run("policy", "save", seed, "--database-url", url)
    assert code == 0
    version = out.split()[-1]
    activate = ("policy", "activate", version[:12], "--surface", "social", "--database-url", url)
    # The gate: its cases have not been run, and no backtest is attached for the surface.
    code, out = run(*activate)
    assert code == 2 and out.startswith("PolicyActivationRefusedException:")
    assert "test cases have not been run" in out and "'social'" in out
    wrong = tmp_path / "wrong.cases.yaml"
    wrong.write_text("cases:\n  - labels: {Explicit: 95}\n    expect: allow\n")
    code, out = run("policy", "save", seed, "--cases", str(wrong), "--database-url", url)
    assert code == 1 and "0/1 cases passed" in out
    cases = str(POLICIES / "seed.cases.yaml")
    code, out = run("policy", "save", seed, "--cases", cases, "--database-url", url)
    assert code == 0 and re.search(r"\b(\d+)/\1 cases passed", out)
    code, out = run(*activate)
    assert code == 2 and "no backtest report is attached for the surface 'social'" in out
    code, out = run(
        "policy", "backtest", seed, "--surface", "social", "--attach", "--database-url", url
    )
    assert code == 0 and f"attached to {version[:12]}" in out
    code, out = run(*activate)
    assert code == 0
    code, out = run("policy", "active", "--surface", "social", "--database-url", url)
    assert out.strip() == f"social: seed {version}"
    code, out = run("policy", "rollback", "--surface", "social", "--database-url", url)
    assert code == 2 and out.startswith("ConflictException:")
    code, out = run(
        "policy",
        "backtest",
        str(POLICIES / "kids.yaml"),
        "--surface",
        "social",
        "--format",
        "json",
        "--database-url",
        url,
    )
    assert code == 0 and json.loads(out)["total"] == 0


def test_four_eyes_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With one approval required, the user running the command cannot approve their own
    activation: the gate wants another policy editor (another OS account on the CLI)."""
    from modgate.audit import cli_actor
    from modgate.db import upgrade
    from modgate.db.base import make_engine, session_factory
    from modgate.governance.policy_gate import PolicyGovernance
    from modgate.policy.settings import PolicySettings
    from modgate.policy.store import SqlPolicyStore

    monkeypatch.setenv("MODGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MODGATE_POLICY__ACTIVATION_APPROVALS", "1")
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    seed, cases = str(POLICIES / "seed.yaml"), str(POLICIES / "seed.cases.yaml")
    db = ("--database-url", url)
    code, out = run("policy", "save", seed, "--cases", cases, *db)
    version = out.splitlines()[0].split()[-1]
    assert run("policy", "backtest", seed, "--surface", "kids", "--attach", *db)[0] == 0
    code, out = run("policy", "approve", version[:12], "--surface", "kids", *db)
    assert code == 0 and cli_actor() in out
    code, out = run("policy", "activate", version[:12], "--surface", "kids", *db)
    assert code == 2 and "needs 1 approval by another policy editor for 'kids' (has 0)" in out
    # Another editor's approval (as the console records it) opens the gate.
    sessions = session_factory(make_engine(url))
    PolicyGovernance(
        sessions, SqlPolicyStore(sessions), PolicySettings(activation_approvals=1)
    ).approve(version, "kids", actor="user:usr_ben")
    code, out = run("policy", "activate", version[:12], "--surface", "kids", *db)
    assert code == 0 and f"kids: active version is now {version[:12]}" in out
