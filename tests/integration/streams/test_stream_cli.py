"""``modgate streams list|show|stop`` run as an operator runs them (a real process each)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from modgate.services import Services
from modgate.settings import load_settings
from servers import free_port, run_modgate


def test_an_operator_lists_shows_and_stops_a_stream(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = load_settings(data_dir=data, outbound_allow="127.0.0.1")
    services = Services.build(settings, role="cli")
    try:
        url = f"http://127.0.0.1:{free_port()}/live.m3u8"
        stream_id = services.streams.create(url, tenant="acme", actor="cli:tests@localhost")["id"]
    finally:
        services.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")}
    env |= {"MODGATE_DATA_DIR": str(data), "MODGATE_OUTBOUND_ALLOW": "127.0.0.1"}

    listed = run_modgate(["streams", "list", "--tenant", "acme"], env)
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [stream_id]
    assert run_modgate(["streams", "list"], env).stdout == ""  # the default tenant has none

    shown = run_modgate(["streams", "show", stream_id], env)
    assert json.loads(shown.stdout)["status"] == "starting"

    stopped = run_modgate(["streams", "stop", stream_id], env)
    assert stopped.returncode == 0, stopped.stderr
    assert f"{stream_id} stopped" in stopped.stdout
    again = run_modgate(["streams", "stop", stream_id], env)
    assert again.returncode == 2 and "ConflictException" in again.stderr
    missing = run_modgate(["streams", "show", "str_missing"], env)
    assert missing.returncode == 2 and "ResourceNotFoundException" in missing.stderr
