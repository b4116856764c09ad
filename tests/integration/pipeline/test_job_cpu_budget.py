"""A video whose detection uses up the job's CPU-time budget fails for good and goes to review."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from modgate.app import create_app
from modgate.errors import JobCpuBudgetExceededException
from modgate.pipeline.job_guards import CpuBudget
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import wait_decided
from servers import LiveServer
from video_corpus import clip_bytes, still


def test_a_job_over_its_cpu_budget_fails_once_and_opens_a_review(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2, "job_cpu_seconds": 0.001},
        auth={"api_keys_required": False},
    )
    video = clip_bytes([still(seed=index) for index in range(40)])  # 4 s at 10 fps
    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as server:
            response = httpx.post(
                f"{server.url}/v1/moderations", files={"file": ("clip.mp4", video)}, timeout=60
            )
            assert response.status_code == 202, response.text
            failed = wait_decided(server.url, response.json()["id"])
            assert failed["status"] == "failed"
            assert failed["error"]["code"] == "JobCpuBudgetExceededException"
            assert "JOB_CPU_SECONDS" in failed["error"]["message"]
            assert failed["action"] == "review"  # never silently allowed
            assert failed["review"]["status"] == "queued"
            job = services.pipeline.jobs.recent("failed")[0]
            assert job.attempts == 1  # permanent: not retried
    finally:
        services.close()


def test_a_zero_budget_never_stops_a_job() -> None:
    unlimited, tiny = CpuBudget(0), CpuBudget(0.001)
    start = time.thread_time()
    while time.thread_time() - start < 0.01:  # use a little CPU time
        pass
    unlimited()
    with pytest.raises(JobCpuBudgetExceededException):
        tiny()
