"""Nothing accepted is lost: a training job accepted by one ``modgate serve`` whose process is
killed (SIGKILL) mid-training is taken up by the next server once its lease has run out, and
trained there; the job shows one start, one finish, two takes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from custom_label_corpus import abstract_art, jpeg, photo_crops
from modgate.audit.tables import AuditEntryRow
from modgate.detection.custom.tables import CustomLabelVersionRow
from modgate.services import Services
from modgate.settings import load_settings
from servers import free_port

T = TypeVar("T")
ENV = {
    "MODGATE_DETECTION__ENABLED": '["marker"]',
    "MODGATE_AUTH__API_KEYS_REQUIRED": "false",
    "MODGATE_PIPELINE__WORKERS": "0",
    "MODGATE_LABELS__LEASE_SECONDS": "3",
    "MODGATE_LABELS__POLL_SECONDS": "0.3",
}


def wait_until(found: Callable[[], T | None], seconds: float, interval: float = 0.05) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out")


@contextmanager
def server(data_dir: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "modgate", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env | ENV | {"MODGATE_DATA_DIR": str(data_dir)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code < 500
        except httpx.HTTPError:
            return process.poll() is not None  # died: the assertion below says so

    try:
        wait_until(up, 60, 0.2)
        assert process.poll() is None, log.read_text(errors="replace")
        yield url, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


@pytest.mark.slow
def test_a_job_cut_off_by_a_killed_server_is_trained_by_the_next(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    services = Services.build(load_settings(data_dir=data_dir), role="cli")
    try:

        def stored(pictures: list[Any]) -> list[str]:
            return [services.media.ingest_bytes(jpeg(p))[0].id for p in pictures]

        # Enough pictures that embedding them takes seconds: the kill lands mid-training.
        photos = stored(photo_crops(("astronaut", "coffee", "rocket", "chelsea"), 25, seed=3))
        art = stored(abstract_art(100, seed=4))

        def row() -> CustomLabelVersionRow:
            with services.sessions() as session:
                found = session.scalar(select(CustomLabelVersionRow))
                assert found is not None
                return found

        with server(data_dir, tmp_path / "first.log") as (url, first):
            answer = httpx.post(
                f"{url}/v1/custom-labels",
                json={"name": "Photograph", "positive_media_ids": photos,
                      "negative_media_ids": art},
                timeout=60,
            )  # fmt: skip
            assert answer.status_code == 202, answer.text
            job = answer.json()
            assert job["status"] == "training"
            wait_until(lambda: row().locked_by is not None, 30)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        cut = row()
        assert (cut.status, cut.attempts) == ("training", 1)  # killed mid-training

        with server(data_dir, tmp_path / "second.log") as (url, _second):

            def finished() -> dict[str, Any] | None:
                body: dict[str, Any] = httpx.get(f"{url}/v1/custom-labels/{job['id']}").json()
                return body if body["status"] != "training" else None

            done = wait_until(finished, 120, 0.3)
        assert done["status"] == "live", done
        assert done["metrics"]["positives"] == 100 and done["metrics"]["negatives"] == 100
        taken = row()
        assert taken.attempts == 2 and taken.locked_by != cut.locked_by
        with services.sessions() as session:
            kinds = list(session.scalars(select(AuditEntryRow.kind)))
        assert kinds.count("custom_label.training_started") == 1
        assert kinds.count("custom_label.trained") == 1
    finally:
        services.close()
