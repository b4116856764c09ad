"""``modgate policy tune`` as a user runs it, on a real SQLite history (``tuning_seed``): it
writes a candidate policy with the thresholds worked out by hand, a JSON report, and the curves
as PNG and SVG; the candidate checks and backtests like any policy. Too little history for a
category is said per category and leaves its thresholds alone; bad targets are one line on
stderr and exit status 2; a tenant with no history gets no candidate."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tuning_seed import SINCE, UNTIL, seed_tuning

from modgate.db import make_engine, session_factory, upgrade
from modgate.policy import load_policy
from servers import run_modgate

SEED = Path(__file__).parents[3] / "policies" / "seed.yaml"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("tuning")
    url = f"sqlite:///{root / 'modgate.db'}"
    engine = make_engine(url)
    upgrade(url, engine)
    seed_tuning(session_factory(engine))
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")}
    return env | {"MODGATE_DATA_DIR": str(root), "MODGATE_DATABASE_URL": url}


def test_tune_writes_a_candidate_report_and_charts(history: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    period = ["--since", SINCE.isoformat(), "--until", UNTIL.isoformat(), "--tenant", "acme"]
    targets = ["--target", "precision=0.95", "--target", "recall=0.8"]
    done = run_modgate(["policy", "tune", str(SEED), *targets, *period, "-o", str(out)], history)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    explicit = next(line for line in lines if line.startswith("Explicit:"))
    assert "tuned — block 90 → 76" in explicit
    violence = next(line for line in lines if line.startswith("Violence:"))
    assert "tuned — review 70 → 60" in violence
    gambling = next(line for line in lines if line.startswith("Gambling:"))
    assert "insufficient_history" in gambling and "5 checked decisions" in gambling

    report = json.loads((out / "report.json").read_text())
    assert (report["examples"], report["decisions"], report["tenant"]) == (335, 535, "acme")
    assert report["tuned"] == ["Explicit", "Violence"]
    item = report["categories"]["Explicit"]
    assert (item["current"]["block"], item["proposed"]["block"]) == (90, 76)
    proposed = item["expected"]["proposed"]
    assert proposed["precision"]["rate"] == pytest.approx(238 / 240, abs=1e-6)
    assert proposed["precision"]["low"] >= 0.95
    # blocked: 60 at 95 before; 120 (at 95 and 85) of the 535 decisions after
    assert item["expected"]["current"]["block_share"] == pytest.approx(60 / 535, abs=1e-6)
    assert proposed["block_share"] == pytest.approx(120 / 535, abs=1e-6)
    violence_item = report["categories"]["Violence"]
    assert violence_item["expected"]["current"]["recall"]["rate"] == pytest.approx(60 / 245)
    assert violence_item["expected"]["proposed"]["recall"]["rate"] == pytest.approx(240 / 245)
    assert (
        report["categories"]["Gambling"]["proposed"] == report["categories"]["Gambling"]["current"]
    )
    curve = report["curves"]["Explicit"]
    assert len(curve["thresholds"]) == 101 and curve["precision"][80] == pytest.approx(238 / 240)

    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (out / "curves.svg").read_bytes()[:400]
    candidate = out / "seed.tuned.yaml"
    text = candidate.read_text()
    assert text.startswith("# Candidate thresholds from `modgate policy tune`")
    assert "block: 76  # tuned from 90" in text
    tuned = load_policy(candidate)
    assert tuned.base.categories["Explicit"].block == 76
    assert tuned.base.categories["Violence"].review == 60
    assert tuned.base.categories["Gambling"].review == 75

    check = run_modgate(["policy", "check", str(candidate)], history)
    assert check.returncode == 0 and ": ok — policy seed" in check.stdout, check.stderr
    backtest = run_modgate(["policy", "backtest", str(candidate), "--format", "json"], history)
    assert backtest.returncode == 0, backtest.stderr
    assert json.loads(backtest.stdout)["candidate_version"] == tuned.version


def test_bad_targets_and_empty_history(history: dict[str, str], tmp_path: Path) -> None:
    def tune(*args: str) -> tuple[int, str, str]:
        done = run_modgate(["policy", "tune", str(SEED), "-o", str(tmp_path), *args], history)
        return done.returncode, done.stdout, done.stderr

    code, _, err = tune("--target", "precision=1.5")
    assert code == 2 and "--target precision must be a share between 0 and 1" in err
    # A tenant with nothing checked: every category says so, nothing is written but the report.
    code, out, _ = tune("--target", "precision=0.95", "--tenant", "nobody")
    assert code == 1
    assert "Explicit: insufficient_history" in out and "no candidate written" in out
    assert not list(tmp_path.glob("*.tuned.yaml"))
    assert json.loads((tmp_path / "report.json").read_text())["examples"] == 0
