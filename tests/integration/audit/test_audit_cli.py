"""``modgate audit keygen|checkpoint|prove|export`` on a real log: the key file is private and
its verifier key printed; a proof printed by ``prove`` verifies against the signed checkpoint
(and the log still extends it); ``export`` writes every entry, filtered, as JSON Lines or CSV;
bad input is a one-line reason and a non-zero exit."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modgate import audit
from modgate.audit.checkpoint import Checkpoint, VerifierKey
from modgate.audit.merkle import verify_consistency, verify_inclusion
from modgate.cli import app
from modgate.db import make_engine, session_factory, transaction, upgrade
from modgate.errors import ModgateError


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, ModgateError):
        return 2, f"{result.exception.code}: {result.exception.message}"
    return result.exit_code, result.output


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, VerifierKey]:
    url = f"sqlite:///{tmp_path / 'modgate.db'}"
    code, printed = run("audit", "keygen", "tests.local/audit", "--out", str(tmp_path / "key"))
    assert code == 0
    assert stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600
    monkeypatch.setenv("MODGATE_DATABASE_URL", url)
    monkeypatch.setenv("MODGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MODGATE_AUDIT__SIGNING_KEY_FILE", str(tmp_path / "key"))
    engine = make_engine(url)
    upgrade(url, engine)
    sessions = session_factory(engine)
    for number in range(7):
        with transaction(sessions) as session:
            audit.append(
                session,
                "user.changed" if number % 2 else "api_key.created",
                tenant="acme" if number % 3 else "default",
                actor="cli:ops@host",
                object=f"user:usr_{number}",
                payload={"n": number},
                detail={"role": "auditor", "note": 'a, "quoted" value'},
            )
    engine.dispose()
    return tmp_path, VerifierKey.parse(printed)


def test_prove_prints_proofs_that_verify_against_the_checkpoint(
    log: tuple[Path, VerifierKey],
) -> None:
    folder, verifier = log
    code, note = run("audit", "checkpoint")
    assert code == 0
    signed = Checkpoint.open(note, verifier)
    assert signed.size == 7
    checkpoint = folder / "data" / "audit" / "checkpoint"
    code, out = run("audit", "prove", "3", "--checkpoint", str(checkpoint))
    assert code == 0, out
    answer = json.loads(out)
    inclusion = answer["inclusion"]
    verify_inclusion(
        bytes.fromhex(inclusion["leaf_hash"]), 3, 7,
        [bytes.fromhex(p) for p in inclusion["proof"]], signed.root,
    )  # fmt: skip
    consistency = answer["consistency"]
    verify_consistency(7, 7, signed.root, bytes.fromhex(consistency["to_root"]), [])
    code, out = run("audit", "prove", "3")
    assert code == 0 and json.loads(out)["tree_size"] == 7
    assert run("audit", "prove", "99")[0] == 2
    assert run("audit", "prove", "3", "--checkpoint", str(folder / "missing"))[0] == 2


def test_export_as_json_lines_and_csv(log: tuple[Path, VerifierKey]) -> None:
    code, out = run("audit", "export")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["seq"] for line in lines] == list(range(7))
    assert lines[1]["kind"] == "user.changed" and lines[1]["actor"] == "cli:ops@host"
    code, out = run(
        "audit", "export", "--format", "csv", "--tenant", "acme", "--kind", "user.changed"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["seq"]) for r in rows] == [1, 5]
    assert json.loads(rows[0]["detail"]) == {"note": 'a, "quoted" value', "role": "auditor"}
    folder = log[0]
    code, _ = run("audit", "export", "--object", "user:usr_2", "--output", str(folder / "x.jsonl"))
    assert code == 0
    written = (folder / "x.jsonl").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in written] == [2]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--kind", "user.exploded"], "Unknown kind"),
        (["--since", "last week"], "is not an ISO 8601 time"),
        (["--format", "xml"], ""),
    ],
)
def test_bad_export_options_exit_non_zero(
    log: tuple[Path, VerifierKey], args: list[str], says: str
) -> None:
    code, out = run("audit", "export", *args)
    assert code == 2 and says in out
