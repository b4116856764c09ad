"""Texts from the command line: ``modgate scan --text`` and ``scan FILE.txt`` print what the
text detectors find, bad texts get their error codes; ``modgate submit --texts FILE.jsonl``
moderates a batch of texts, a bad line reported on its own."""

from __future__ import annotations

import json
import os
from pathlib import Path

from servers import run_modgate


def environment(data_dir: Path) -> dict[str, str]:
    """The caller's environment with a data folder of its own and the marker test detector."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")} | {
        "MODGATE_DATA_DIR": str(data_dir),
        "MODGATE_DETECTION__ENABLED": '["marker"]',
    }


def test_scan_texts_and_text_files(tmp_path: Path) -> None:
    env = environment(tmp_path / "data")
    comment = tmp_path / "comment.txt"
    comment.write_text("mail me at a@example.com, you m0r0n", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"broken \xff utf-8")
    scan = ["scan", "--text", "I will kill you", str(comment), str(bad)]
    result = run_modgate(scan, env)
    assert result.returncode == 2
    threat, from_file, broken = (json.loads(line) for line in result.stdout.splitlines())
    assert threat["Text"] == "I will kill you"
    assert {label["Name"] for label in threat["Labels"]} >= {"VIOLENCE_OR_THREAT", "TOXICITY"}
    assert from_file["File"] == str(comment)
    assert [e["Type"] for e in from_file["Entities"]] == ["EMAIL"]
    insult = next(label for label in from_file["Labels"] if label["Name"] == "INSULT")
    text = from_file["Text"]
    assert [text[o["BeginOffset"] : o["EndOffset"]] for o in insult["Offsets"]] == ["m0r0n"]
    assert broken["Error"]["Code"] == "InvalidTextException"
    assert "bad.txt: InvalidTextException" in result.stderr
    table = run_modgate(["scan", "--text", "you idiot", "--format", "table"], env)
    assert table.returncode == 0, table.stderr
    assert "INSULT  'idiot'" in table.stdout


def test_submit_a_batch_of_texts(tmp_path: Path) -> None:
    env = environment(tmp_path / "data")
    assert run_modgate(["db", "upgrade"], env).returncode == 0
    batch = tmp_path / "comments.jsonl"
    batch.write_text(
        "\n".join(
            [
                json.dumps({"text": "great stream", "external_id": "c-1"}),
                json.dumps({"text": "kill yourself", "context": {"surface": "comments"}}),
                "not json",
                json.dumps({"text": ""}),
                "",
                json.dumps({"text": "card 4111 1111 1111 1111", "language": "en"}),
            ]
        ),
        encoding="utf-8",
    )
    result = run_modgate(["submit", "--texts", str(batch), "--process"], env)
    assert result.returncode == 2, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    errors = {line["Line"]: line["error"]["code"] for line in lines if "error" in line}
    assert errors == {3: "InvalidParameterException", 4: "EmptyTextException"}
    decided = [line for line in lines if "error" not in line]
    actions = [(line["File"].rsplit(":", 1)[1], line["action"]) for line in decided]
    assert actions == [("1", "allow"), ("2", "block"), ("6", "review")]
