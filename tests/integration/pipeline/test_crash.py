"""Kill -9 workers while jobs run: after a restart every job completes exactly once."""

from __future__ import annotations

import signal
import time

import httpx
import pytest
from sqlalchemy import func, select

from modgate.events import EventRow, ModerationCompleted
from modgate.events.webhooks.tables import WebhookDeliveryRow
from modgate.moderation.tables import ModerationRow
from pipeline_helpers import Receiver, marker_png, plain_png, wait_for

ITEMS = 10


def completed(sessions) -> int:  # type: ignore[no-untyped-def]
    """Moderations decided so far."""
    with sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(ModerationRow)
                .where(ModerationRow.status == "completed")
            )
            or 0
        )


@pytest.mark.parametrize("deployment", ["celery"], indirect=True)
def test_killed_worker_loses_nothing_and_duplicates_nothing(deployment) -> None:  # type: ignore[no-untyped-def]
    slow = {"MODGATE_DETECTION__OPTIONS": '{"marker": {"delay": 0.6}}'}
    deployment.kill_workers()
    deployment.start_worker(slow)
    with Receiver() as receiver:
        httpx.post(f"{deployment.url}/v1/webhooks", json={"url": receiver.url})
        ids = []
        for index in range(ITEMS):
            media = marker_png(index) if index % 2 else plain_png(index)
            ids.append(
                httpx.post(
                    f"{deployment.url}/v1/moderations", files={"file": ("x.png", media)}
                ).json()["id"]
            )

        wait_for(lambda: completed(deployment.services.sessions) >= 2, timeout=60)
        deployment.kill_workers(signal.SIGKILL)  # mid-run: some jobs hold leases
        assert completed(deployment.services.sessions) < ITEMS
        deployment.start_worker(slow)
        deployment.start_worker(slow)
        wait_for(
            lambda: completed(deployment.services.sessions) == ITEMS, timeout=120, interval=0.3
        )
        time.sleep(2)  # let any stray duplicate show itself
        with deployment.services.sessions() as session:
            events = session.execute(
                select(EventRow.moderation_id, func.count())
                .where(EventRow.name == ModerationCompleted.name)
                .group_by(EventRow.moderation_id)
            ).all()
            assert sorted(moderation for moderation, _ in events) == sorted(ids)
            assert all(count == 1 for _, count in events)
            wait_for(
                lambda: (
                    session.scalar(
                        select(func.count())
                        .select_from(WebhookDeliveryRow)
                        .where(WebhookDeliveryRow.status == "delivered")
                    )
                    == ITEMS
                ),
                timeout=60,
            )
        delivered = {event["data"]["moderation_id"] for event in receiver.events()}
        assert delivered == set(ids)
        actions = {httpx.get(f"{deployment.url}/v1/moderations/{i}").json()["action"] for i in ids}
        assert actions == {"allow", "block"}


def test_killed_serve_resumes_its_jobs_on_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Embedded shape: ``modgate serve`` on SQLite is killed mid-run and started again."""
    import os
    import subprocess
    import sys

    from modgate.services import Services
    from modgate.settings import load_settings
    from servers import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")} | {
        "MODGATE_DATA_DIR": str(tmp_path / "data"),
        "MODGATE_DETECTION__ENABLED": '["marker"]',
        "MODGATE_DETECTION__OPTIONS": '{"marker": {"delay": 0.5}}',
        "MODGATE_PIPELINE__WORKERS": "2",
        "MODGATE_PIPELINE__POLL_SECONDS": "0.2",
        "MODGATE_AUTH__API_KEYS_REQUIRED": "false",
    }
    url = f"http://127.0.0.1:{port}"

    def serve() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "modgate", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "serve.log").open("ab"),
        )

        def up() -> bool:
            try:
                return httpx.get(f"{url}/healthz").status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=60, interval=0.2)
        return process

    process = serve()
    ids = [
        httpx.post(f"{url}/v1/moderations", files={"file": ("x.png", marker_png(i))}).json()["id"]
        for i in range(8)
    ]
    settings = load_settings(data_dir=tmp_path / "data")
    services = Services.build(settings, migrate=False)
    try:
        wait_for(lambda: completed(services.sessions) >= 2, timeout=60)
        process.kill()
        process.wait()
        assert completed(services.sessions) < len(ids)
        process = serve()
        wait_for(lambda: completed(services.sessions) == len(ids), timeout=60, interval=0.3)
        with services.sessions() as session:
            counts = session.execute(
                select(EventRow.moderation_id, func.count())
                .where(EventRow.name == ModerationCompleted.name)
                .group_by(EventRow.moderation_id)
            ).all()
        assert sorted(m for m, _ in counts) == sorted(ids)
        assert all(count == 1 for _, count in counts)
    finally:
        process.terminate()
        process.wait(timeout=30)
        services.close()
