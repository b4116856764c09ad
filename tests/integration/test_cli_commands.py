"""Every ``modgate`` command, run as a user runs it (a real process each), on one data folder:
accounts and keys, intake, detection, policies, bulk submission, jobs, review, a worker, the
server. Each command reads its settings and builds what it needs by itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pipeline_helpers import marker_png, plain_png, wait_for
from servers import free_port, run_modgate

POLICIES = Path(__file__).parents[2] / "policies"
PASSWORD = "correct horse battery staple"


class Modgate:
    """``modgate`` with one environment: a data folder and the marker test detector."""

    def __init__(self, data_dir: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")} | {
            "MODGATE_DATA_DIR": str(data_dir),
            "MODGATE_DETECTION__ENABLED": '["marker"]',
            "MODGATE_PIPELINE__POLL_SECONDS": "0.2",
            "ANN_PASSWORD": PASSWORD,
        }

    def __call__(self, *args: str, status: int = 0) -> str:
        result = run_modgate(list(args), self.env)
        assert result.returncode == status, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        return result.stdout if status == 0 else result.stderr

    def json_lines(self, *args: str) -> list[dict[str, object]]:
        return [json.loads(line) for line in self(*args).splitlines() if line.startswith("{")]

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "modgate", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def stop(process: subprocess.Popen[str], status: int = 0) -> str:
    """SIGTERM, as a service manager stops it: it must exit cleanly. Its stderr."""
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    assert "Traceback" not in err, err
    return err


@pytest.mark.slow
def test_every_command_end_to_end(tmp_path: Path) -> None:
    modgate = Modgate(tmp_path / "data")
    red, blue, green = tmp_path / "red.png", tmp_path / "blue.png", tmp_path / "later.png"
    red.write_bytes(marker_png(1))
    blue.write_bytes(plain_png(2))
    green.write_bytes(plain_png(3))

    assert modgate("version").strip()
    assert "database is up to date" in modgate("db", "upgrade")

    # Accounts and API keys.
    (ann,) = modgate.json_lines(
        "users",
        "add",
        "ann",
        "--role",
        "senior_reviewer",
        "--queue",
        "*",
        "--password-env",
        "ANN_PASSWORD",
    )
    assert ann["role"] == "senior_reviewer"
    assert [u["username"] for u in modgate.json_lines("users", "list")] == ["ann"]
    assert modgate.json_lines("users", "disable", "ann")[0]["disabled"] is True
    assert modgate.json_lines("users", "enable", "ann")[0]["disabled"] is False
    (key,) = modgate.json_lines("keys", "create", "uploader", "--scope", "media:write")
    assert str(key["key"]).startswith("mgk_")
    assert [k["name"] for k in modgate.json_lines("keys", "list")] == ["uploader"]
    assert modgate.json_lines("keys", "revoke", str(key["id"]))[0]["revoked_at"] is not None

    # Intake and detection.
    assert modgate.json_lines("media", "add", str(red))[0]["created"] is True
    assert "marker 1" in modgate("detectors")
    (scanned,) = modgate.json_lines("scan", str(red))
    labels = scanned["ModerationLabels"]
    assert isinstance(labels, list) and "Explicit Nudity" in {label["Name"] for label in labels}
    detections = tmp_path / "red.json"
    detections.write_text(json.dumps(scanned))
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "red.png").write_bytes(marker_png(4))
    (photos / "blue.png").write_bytes(plain_png(5))
    (tmp_path / "labels.csv").write_text("file,labels\nred.png,Explicit Nudity\nblue.png,\n")
    report = modgate(
        "eval",
        str(photos),
        "--labels",
        str(tmp_path / "labels.csv"),
        "--output",
        str(tmp_path / "report"),
    )
    assert "Explicit Nudity" in report and any((tmp_path / "report").glob("pr-*.png"))

    # Policies: offline checks, then stored versions.
    seed, kids = str(POLICIES / "seed.yaml"), str(POLICIES / "kids.yaml")
    assert "ok — policy seed" in modgate("policy", "check", seed)
    explained = json.loads(
        modgate("policy", "explain", seed, "--detections", str(detections), "--format", "json")
    )
    assert explained["action"] == "block"
    assert "cases passed" in modgate("policy", "test", seed, str(POLICIES / "seed.cases.yaml"))
    seed_version = modgate("policy", "save", seed, "--author", "ana").split()[-1]
    kids_version = modgate("policy", "save", kids, "--author", "ana").split()[-1]
    modgate("policy", "activate", seed_version[:12], "--surface", "default", "--actor", "ana")
    assert seed_version in modgate("policy", "active", "--surface", "default")
    modgate(
        "policy", "shadow", "start", kids_version[:12], "--surface", "default", "--actor", "ana"
    )

    # Bulk submission, decided here; the shadow policy is evaluated beside the active one.
    decided = modgate.json_lines("submit", str(red), str(blue), "--process")
    assert {Path(str(line["File"])).name: line["action"] for line in decided} == {
        "red.png": "block",
        "blue.png": "allow",
    }
    shadow = json.loads(modgate("policy", "shadow", "report", "--surface", "default"))
    assert shadow["total"] == 2
    modgate("policy", "shadow", "stop", kids_version[:12], "--surface", "default")
    backtest = json.loads(modgate("policy", "backtest", kids, "--format", "json"))
    assert backtest["total"] == 2
    modgate("policy", "activate", kids_version[:12], "--surface", "default", "--actor", "ana")
    assert seed_version[:12] in modgate(
        "policy", "rollback", "--surface", "default", "--actor", "ana"
    )
    newest, *earlier = modgate("policy", "history", "--surface", "default").splitlines()
    assert seed_version[:12] in newest and "active" in newest and len(earlier) == 2

    # Decisions for a viewer, from the stored detections: nothing is detected or written.
    red_id = next(str(line["id"]) for line in decided if Path(str(line["File"])).name == "red.png")
    (viewed,) = modgate.json_lines("decide", red_id, "--context", "audience=12,local_time=21:30")
    assert (viewed["action"], viewed["policy_version"]) == ("block", seed_version)
    assert viewed["context"] == {"audience": "12", "local_time": "21:30"}
    assert "InvalidContextError" in modgate(
        "decide", red_id, "--context", "audience=99-1", status=2
    )
    modgate("decide", red_id, "mod_missing", status=2)  # a moderation that is not there

    # Jobs: one submitted and left queued is cancelled (its item goes to review), then retried.
    (queued,) = modgate.json_lines("submit", str(green))
    assert queued["status"] == "queued"
    assert len(modgate("jobs", "list", "--status", "succeeded").splitlines()) == 2
    job_id = modgate("jobs", "list", "--status", "queued").split()[0]
    assert "cancel done" in modgate("jobs", "cancel", job_id)
    (queue,) = modgate.json_lines("review", "queues")
    assert queue["depth"] == 1
    modgate("review", "quality")
    assert "retry done" in modgate("jobs", "retry", job_id)
    assert "Conflict" in modgate("jobs", "retry", job_id, status=2)  # queued: nothing to retry

    # A worker runs the retried job; SIGTERM stops it cleanly.
    worker = modgate.start("worker")
    try:
        wait_for(
            lambda: len(modgate("jobs", "list", "--status", "succeeded").splitlines()) == 3,
            timeout=90,
            interval=0.5,
        )
    finally:
        stop(worker)

    # The server answers an API client, and stops cleanly.
    (reader,) = modgate.json_lines("keys", "create", "reader", "--scope", "moderations:read")
    port = free_port()
    server = modgate.start("serve", "--port", str(port))
    try:

        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=90, interval=0.3)
        moderation = httpx.get(
            f"http://127.0.0.1:{port}/v1/moderations/{queued['id']}",
            headers={"Authorization": f"Bearer {reader['key']}"},
        ).json()
        assert moderation["status"] == "completed"
    finally:
        # uvicorn shuts down gracefully, then ends by the signal it was stopped with.
        assert "Application shutdown complete" in stop(server, -signal.SIGTERM)
