"""Deployments the pipeline tests run against, with the same test cases:

- ``embedded``: SQLite, the embedded executor inside the API process;
- ``celery``: PostgreSQL + Redis, the API publishing job ids and a real ``modgate worker``
  process (Celery) running them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deployments import Deployment, deploy


@pytest.fixture(params=["embedded", "celery"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    yield from deploy(request, tmp_path, request.param)


@pytest.fixture
def rabbitmq_deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """PostgreSQL + Celery workers with RabbitMQ as the broker. The workers' database sweep
    is slowed to 30 s, so a job that runs was delivered by the broker."""
    yield from deploy(
        request, tmp_path, "celery", broker="amqp://guest:guest@127.0.0.1:5672//", poll=30.0
    )
