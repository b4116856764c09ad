"""Deployments for tests that run the API with workers in other processes: ``embedded``
(SQLite, the embedded executor inside the API process) or ``celery`` (PostgreSQL + a broker,
the API publishing job ids and real ``modgate worker`` processes running them, started by the
test with the same settings in their environment)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from servers import LiveServer


@dataclass
class Deployment:
    kind: str
    url: str
    services: Any
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]]
    log_dir: Path

    def start_worker(self, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"worker-{len(self.workers)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "modgate", "worker", "--concurrency", "2"],
            env=self.env | (extra_env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(process)
        return process

    def kill_workers(self, sig: int = signal.SIGKILL) -> None:
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, sig)
                process.wait(timeout=30)

    def worker_log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


def _settings_env(settings: dict[str, Any], prefix: str = "MODGATE_") -> dict[str, str]:
    env: dict[str, str] = {}
    for key, value in settings.items():
        name = f"{prefix}{key.upper()}"
        if isinstance(value, dict):
            env.update(
                {
                    f"{name}__{k.upper()}": json.dumps(v) if not isinstance(v, str) else v
                    for k, v in value.items()
                }
            )
        else:
            env[name] = str(value)
    return env


def deploy(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    kind: str,
    broker: str | None = None,
    poll: float = 0.2,
    streams: dict[str, object] | None = None,
) -> Iterator[Deployment]:
    """The API on ``kind``'s settings (``streams``: its live-stream settings), with one
    ``modgate worker`` process for ``celery``; the workers are stopped (SIGTERM) after."""
    from modgate.app import create_app
    from modgate.services import Services
    from modgate.settings import load_settings

    values: dict[str, Any] = {
        "data_dir": str(tmp_path / "data"),
        "detection": {"enabled": ["marker"]},
        "auth": {"api_keys_required": False},
        "outbound_allow": "127.0.0.1/32",  # webhook receivers of the tests
        "pipeline": {
            "workers": 1,
            "poll_seconds": poll,
            "retry_backoff_seconds": 0.1,
            "job_timeout_seconds": 4,
            "webhook_backoff_seconds": 0.2,
        },
    }
    if streams:
        values["streams"] = streams
    if kind == "celery":
        database = request.getfixturevalue("postgres_url")
        if broker is None:
            redis_db = random.randint(1, 15)
            redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()
            broker = f"redis://127.0.0.1:6379/{redis_db}"
        values["database_url"] = database
        values["pipeline"] |= {"executor": "celery", "broker_url": broker}
    settings = load_settings(**values)
    services = Services.build(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")}
    env |= _settings_env(values)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    deployment = Deployment(kind, "", services, env, [], log_dir)
    try:
        if kind == "celery":
            deployment.start_worker()
        with LiveServer(create_app(settings, services)) as server:
            deployment.url = server.url
            yield deployment
    finally:
        deployment.kill_workers(signal.SIGTERM)
        services.close()
        if kind == "celery":
            time.sleep(0.2)
