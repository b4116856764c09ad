"""RabbitMQ works as the Celery broker too: the broker hands the job ids to ``modgate worker``."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from modgate.pipeline.tables import JobRow
from pipeline_helpers import marker_png, plain_png, wait_decided


@pytest.mark.postgres
def test_jobs_travel_through_rabbitmq_to_celery_workers(rabbitmq_deployment) -> None:  # type: ignore[no-untyped-def]
    deployment = rabbitmq_deployment
    ids = []
    for seed, data in enumerate([plain_png(901), marker_png(902), plain_png(903)]):
        response = httpx.post(
            f"{deployment.url}/v1/moderations",
            files={"file": (f"{seed}.png", data)},
            timeout=60,
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    actions = [wait_decided(deployment.url, moderation_id)["action"] for moderation_id in ids]
    assert actions == ["allow", "block", "allow"], deployment.worker_log()
    with deployment.services.sessions() as session:
        jobs = list(session.scalars(select(JobRow).where(JobRow.moderation_id.in_(ids))))
    assert len(jobs) == 3 and all(job.status == "succeeded" for job in jobs)
    # Run by the Celery task (a broker message), not found later by the database sweeper.
    assert all(str(job.locked_by).startswith("celery@") for job in jobs), [
        job.locked_by for job in jobs
    ]
