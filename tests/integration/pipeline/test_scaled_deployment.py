"""The scaled-out shape (PostgreSQL, Celery workers, an S3 bucket, Redis or RabbitMQ) when a
service it depends on misbehaves: what the uploader, the worker and the command line see."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import redis
from sqlalchemy import func, select

from modgate.moderation.tables import ModerationRow
from modgate.pipeline.tables import JobRow
from pipeline_helpers import marker_png, plain_png, wait_for
from servers import LiveServer, free_port, run_modgate


def _bucket(endpoint: str) -> str:
    name = f"modgate-{uuid.uuid4().hex[:8]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=name)
    return name


def _env(values: dict[str, Any]) -> dict[str, str]:
    """``values`` as ``MODGATE_…`` variables, over this environment without its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")}
    for key, value in values.items():
        if isinstance(value, dict):
            env |= {
                f"MODGATE_{key.upper()}__{k.upper()}": v if isinstance(v, str) else json.dumps(v)
                for k, v in value.items()
            }
        else:
            env[f"MODGATE_{key.upper()}"] = str(value)
    return env | {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def scaled(tmp_path: Path, postgres_url: str, s3_endpoint: str) -> Iterator[dict[str, Any]]:
    """An API on PostgreSQL with its blobs in S3 and a Redis broker; workers are the test's."""
    from modgate.app import create_app
    from modgate.services import Services
    from modgate.settings import load_settings

    redis_db = random.randint(1, 15)
    redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()
    values: dict[str, Any] = {
        "data_dir": str(tmp_path / "data"),
        "database_url": postgres_url,
        "blob_store": "s3",
        "s3_bucket": _bucket(s3_endpoint),
        "s3_endpoint_url": s3_endpoint,
        "detection": {"enabled": ["marker"]},
        "auth": {"api_keys_required": False},
        "pipeline": {
            "executor": "celery",
            "broker_url": f"redis://127.0.0.1:6379/{redis_db}",
            "poll_seconds": 0.2,
            "retry_backoff_seconds": 0.2,
            "max_attempts": 20,
            "job_timeout_seconds": 30,
        },
    }
    settings = load_settings(**values)
    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as server:
            yield {"url": server.url, "services": services, "values": values, "tmp": tmp_path}
    finally:
        services.close()


def _worker(scaled: dict[str, Any], name: str, **overrides: Any) -> subprocess.Popen[bytes]:
    values = scaled["values"] | {"data_dir": str(scaled["tmp"] / name)} | overrides
    return subprocess.Popen(
        [sys.executable, "-m", "modgate", "worker", "--concurrency", "1"],
        env=_env(values) | {"AWS_MAX_ATTEMPTS": "1"},
        stdout=(scaled["tmp"] / f"{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_a_worker_that_cannot_reach_s3_tries_the_job_again(scaled: dict[str, Any]) -> None:
    """S3 out of a worker's reach is an outage, not a bad upload: the job is tried again and
    decided once S3 answers, instead of failed on its first try and sent to human review."""
    sessions = scaled["services"].sessions
    cut_off = _worker(scaled, "cut-off", s3_endpoint_url=f"http://127.0.0.1:{free_port()}")
    try:
        response = httpx.post(
            f"{scaled['url']}/v1/moderations", files={"file": ("x.png", marker_png(7))}
        )
        assert response.status_code == 202
        moderation_id = response.json()["id"]

        def tried() -> bool:
            with sessions() as session:
                job = session.scalar(select(JobRow).where(JobRow.moderation_id == moderation_id))
                return job is not None and job.last_error is not None

        wait_for(tried, timeout=60, interval=0.2)
    finally:
        _stop(cut_off)
    with sessions() as session:
        assert session.scalar(
            select(ModerationRow.status).where(ModerationRow.id == moderation_id)
        ) not in ("completed", "failed")
    reaching = _worker(scaled, "reaching")
    try:
        decided = wait_for(
            lambda: (
                body
                if (body := httpx.get(f"{scaled['url']}/v1/moderations/{moderation_id}").json())[
                    "status"
                ]
                in ("completed", "failed")
                else None
            ),
            timeout=60,
            interval=0.3,
        )
    finally:
        _stop(reaching)
    assert decided["status"] == "completed"
    assert decided["action"] == "block" and decided["rule"] != "modgate.processing-failed"
    assert decided["review"] is None


def test_s3_problems_are_told_apart(
    tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing object the client named is its mistake (400); a bucket that is not there is the
    service's (503, retry later), and nothing is accepted for it. Neither answer names the
    bucket or the key."""
    from modgate.app import create_app
    from modgate.services import Services
    from modgate.settings import load_settings

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = _bucket(s3_endpoint)
    common: dict[str, Any] = {
        "blob_store": "s3",
        "s3_endpoint_url": s3_endpoint,
        "detection": {"enabled": ["marker"]},
        "auth": {"api_keys_required": False},
        "pipeline": {"workers": 1, "poll_seconds": 0.2},
    }
    for name, settings in (
        ("real", load_settings(data_dir=tmp_path / "real", s3_bucket=bucket, **common)),
        ("gone", load_settings(data_dir=tmp_path / "gone", s3_bucket="no-such-bucket", **common)),
    ):
        services = Services.build(settings)
        try:
            with LiveServer(create_app(settings, services)) as server:
                missing = httpx.post(
                    f"{server.url}/v1/moderations",
                    json={"media": {"blob_key": "incoming/default/none.png"}},
                )
                assert missing.status_code == 400, missing.text
                error = missing.json()["error"]
                assert error["code"] == "InvalidS3ObjectException"
                assert "none.png" not in error["message"]
                upload = httpx.post(
                    f"{server.url}/v1/moderations", files={"file": ("x.png", plain_png(3))}
                )
                if name == "real":
                    assert upload.status_code == 202
                    continue
                assert upload.status_code == 503, upload.text
                error = upload.json()["error"]
                assert error["code"] == "StoreUnavailableException"
                assert "no-such-bucket" not in upload.text
                with services.sessions() as session:
                    assert session.scalar(select(func.count()).select_from(ModerationRow)) == 0
        finally:
            services.close()


def test_submit_of_a_bucket_that_is_not_there_says_so(tmp_path: Path, s3_endpoint: str) -> None:
    env = _env({"data_dir": str(tmp_path / "data"), "s3_endpoint_url": s3_endpoint})
    result = run_modgate(["submit", "s3://no-such-bucket/uploads/"], env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "StoreUnavailableException" in result.stderr and "no-such-bucket" in result.stderr


def _rabbitmqctl(*args: str) -> None:
    """Run a RabbitMQ admin command (``close_all_connections`` wants an explanation last)."""
    subprocess.run(["rabbitmqctl", "--quiet", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def rabbit_vhost() -> Iterator[str]:
    """A RabbitMQ virtual host of this test's own, so closing its connections disturbs no one."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to cut the broker's connections")
    vhost = f"modgate-{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield vhost
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def test_a_worker_keeps_taking_jobs_after_rabbitmq_drops_its_connection(
    tmp_path: Path, postgres_url: str, rabbit_vhost: str
) -> None:
    """RabbitMQ closes the worker's connection while it runs jobs (a broker restart, a network
    blip): the worker reconnects, goes on taking jobs from the broker, and stops when asked.
    Its database sweep is slowed to a minute, so the jobs after the cut run only if the broker
    hands them over."""
    from modgate.app import create_app
    from modgate.services import Services
    from modgate.settings import load_settings

    values: dict[str, Any] = {
        "data_dir": str(tmp_path / "data"),
        "database_url": postgres_url,
        "detection": {"enabled": ["marker"], "options": {"marker": {"delay": 0.4}}},
        "auth": {"api_keys_required": False},
        "pipeline": {
            "executor": "celery",
            "broker_url": f"amqp://guest:guest@127.0.0.1:5672/{rabbit_vhost}",
            "poll_seconds": 60,
            "job_timeout_seconds": 30,
        },
    }
    settings = load_settings(**values)
    services = Services.build(settings)
    worker = subprocess.Popen(
        [sys.executable, "-m", "modgate", "worker", "--concurrency", "2"],
        env=_env(values),
        stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with LiveServer(create_app(settings, services)) as server:

            def submit(count: int, first: int) -> list[str]:
                return [
                    httpx.post(
                        f"{server.url}/v1/moderations",
                        files={"file": ("x.png", plain_png(first + index))},
                    ).json()["id"]
                    for index in range(count)
                ]

            def decided(ids: list[str]) -> bool:
                with services.sessions() as session:
                    return session.scalar(
                        select(func.count())
                        .select_from(ModerationRow)
                        .where(ModerationRow.id.in_(ids), ModerationRow.status == "completed")
                    ) == len(ids)

            for cut in range(2):  # each cut while jobs are half done (rabbitmqctl takes ~1 s)
                batch = submit(10, 100 * cut)
                wait_for(lambda batch=batch: decided(batch[:1]), timeout=60, interval=0.1)
                _rabbitmqctl("close_all_connections", "--vhost", rabbit_vhost, "--limit", "9", "x")
                batch += submit(2, 100 * cut + 50)
                wait_for(lambda batch=batch: decided(batch), timeout=15, interval=0.2)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=20) == 0
    finally:
        _stop(worker)
        services.close()


def test_a_restart_removes_the_spool_files_of_uploads_killed_midway(tmp_path: Path) -> None:
    """An API process killed mid-upload leaves its spool file behind (up to a 10 GiB video);
    the next start on the machine deletes it, and leaves a live process's upload alone."""
    from modgate.services import Services
    from modgate.settings import load_settings

    spool = tmp_path / "data" / "spool"
    # An upload whose sender never finishes: the spool file is open, the process waits on it.
    uploading = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from modgate.media import MediaLimits, MediaService\n"
        "reader, writer = os.pipe()\n"
        "media = MediaService(None, None, MediaLimits(), spool_dir=Path(sys.argv[1]))\n"
        "with media.spooled(os.fdopen(reader, 'rb')):\n"
        "    pass\n"
    )
    killed, alive = (
        subprocess.Popen([sys.executable, "-c", uploading, str(spool)]) for _ in range(2)
    )
    try:
        wait_for(lambda: len(list(spool.glob("*"))) == 2, timeout=30)
        killed.kill()
        killed.wait()
        services = Services.build(load_settings(data_dir=tmp_path / "data"))
        services.close()
        left = [path.name for path in spool.glob("*")]
        assert len(left) == 1 and f".{alive.pid}-" in left[0]
    finally:
        alive.kill()
        alive.wait()


def test_an_api_whose_database_refuses_connections_answers_503_and_recovers(
    tmp_path: Path, postgres_url: str
) -> None:
    """While PostgreSQL refuses the API's connections (a failover, a restart), requests are
    answered 503 with Retry-After and the JSON error, not 500; once it accepts them again, the
    same API serves them."""
    import sqlalchemy as sa

    from modgate.app import create_app
    from modgate.services import Services
    from modgate.settings import load_settings
    from pipeline_helpers import plain_png
    from servers import LiveServer

    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        detection={"enabled": ["marker"]},
        auth={"api_keys_required": False},
        pipeline={"workers": 1},
    )
    name = sa.engine.make_url(postgres_url).database
    admin = sa.create_engine(
        sa.engine.make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )

    def allow_connections(allowed: bool) -> None:
        with admin.connect() as connection:
            connection.execute(
                sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}')
            )
            if not allowed:
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )

    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as server:
            upload = {"file": ("a.png", plain_png(7))}
            allow_connections(False)
            try:
                refused = httpx.post(f"{server.url}/v1/moderations", files=upload, timeout=60)
                listed = httpx.get(f"{server.url}/v1/moderations", timeout=60)
            finally:
                allow_connections(True)
            for response in (refused, listed):
                assert response.status_code == 503, response.text
                assert response.json()["error"]["code"] == "StoreUnavailableException"
                assert response.headers["Retry-After"]
            done = httpx.post(
                f"{server.url}/v1/moderations", params={"wait": "true"}, files=upload, timeout=60
            )
            assert done.status_code == 201 and done.json()["status"] == "completed"
    finally:
        services.close()
        admin.dispose()
