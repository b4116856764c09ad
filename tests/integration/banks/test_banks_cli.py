"""``modgate banks``, run as an operator runs it (a real process per command): make a bank, add
a photo and a hash, look a near-copy up, export it, import it elsewhere, refuse bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bank_media import jpeg, near_copies, photo
from servers import run_modgate

PDQ = "d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8"


@pytest.mark.slow  # a dozen real processes
def test_an_operator_manages_banks_from_the_command_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")} | {
        "MODGATE_DATA_DIR": str(tmp_path / "data"),
        "MODGATE_DETECTION__ENABLED": '["marker"]',
    }

    def modgate(*args: str, status: int = 0) -> list[dict[str, object]]:
        result = run_modgate(list(args), env)
        assert result.returncode == status, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        text = result.stdout if status == 0 else result.stderr
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    original = tmp_path / "rocket.jpg"
    original.write_bytes(jpeg(photo("rocket")))
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(near_copies(photo("rocket"))["watermark text"])

    assert modgate("banks", "create", "KNOWN_BAD", "--max-distance", "24")[0]["max_distance"] == 24
    added = modgate("banks", "add", "KNOWN_BAD", "--file", str(original), "--note", "case 1")[0]
    modgate("banks", "add", "KNOWN_BAD", "--signal-type", "pdq", "--signal", PDQ)
    [bank] = modgate("banks", "list")
    assert (bank["name"], bank["content_count"]) == ("KNOWN_BAD", 2)
    [found] = modgate("banks", "lookup", "--file", str(copy))
    assert (found["bank"], found["content_id"]) == ("KNOWN_BAD", added["id"])

    exported = tmp_path / "known.csv"
    result = run_modgate(["banks", "export", "KNOWN_BAD", "--csv"], env)
    exported.write_text(result.stdout)
    assert result.stdout.splitlines()[0] == "signal_type,signal,bank,note,enabled,content_id"
    modgate("banks", "create", "COPY")
    bad = tmp_path / "bad.csv"
    bad.write_text(result.stdout + "pdq,zz,COPY,,true,\n")
    failed = run_modgate(["banks", "import", str(bad), "--bank", "COPY"], env)
    assert failed.returncode == 2 and "BankImportInvalidException" in failed.stderr
    entries = [dict(e, bank="COPY") for e in modgate("banks", "export", "KNOWN_BAD")]
    as_json = tmp_path / "copy.json"
    as_json.write_text(json.dumps(entries))
    assert modgate("banks", "import", str(as_json))[0] == {"imported": {"COPY": 2}}
    assert {
        f["bank"] for f in modgate("banks", "lookup", "--signal-type", "pdq", "--signal", PDQ)
    } == {
        "KNOWN_BAD",
        "COPY",
    }
    refused = run_modgate(["banks", "create", "lower_case"], env)
    assert refused.returncode == 2 and "InvalidBankNameException" in refused.stderr
