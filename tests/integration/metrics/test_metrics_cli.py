"""``modgate metrics`` as a user runs it: the seeded history's summary as a table and as
JSON, for the tenant asked; a bad time is one line on stderr and exit status 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

from metrics_seed import SINCE, TENANT, UNTIL, seed

from modgate.db import make_engine, session_factory, upgrade
from servers import run_modgate


def test_the_summary_as_a_table_and_as_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'modgate.db'}"
    engine = make_engine(url)
    upgrade(url, engine)
    seed(session_factory(engine))
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")}
    env |= {"MODGATE_DATA_DIR": str(tmp_path), "MODGATE_DATABASE_URL": url}
    period = ["--since", SINCE.isoformat(), "--until", UNTIL.isoformat(), "--tenant", TENANT]

    table = run_modgate(["metrics", *period], env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["total", "11"]
    assert ["allow", "36.4%"] in [line.split() for line in lines]  # 4 of 11
    assert any(line.split()[:2] == ["p90", "review"] and line.endswith("120.0") for line in lines)
    explicit = next(line for line in lines if line.startswith("Explicit "))
    assert explicit.split()[1:3] == ["4", "25.0%"]

    as_json = run_modgate(["metrics", *period, "--json"], env)
    assert as_json.returncode == 0, as_json.stderr
    found = json.loads(as_json.stdout)
    assert (found["tenant"], found["total"], found["disagreement_rate"]) == (TENANT, 11, 0.5)
    assert found["categories"]["Violence"]["false_negative_rate"] == 0.8

    refused = run_modgate(["metrics", "--since", "last week"], env)
    assert refused.returncode == 2
    assert refused.stderr.startswith("InvalidParameterException: --since 'last week'")
