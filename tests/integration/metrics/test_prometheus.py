"""``/metrics`` as Prometheus reads it: parsed with prometheus_client's own parser, its counters
move by exactly the items sent — in one API process with embedded workers, and (slow) across
two API processes and a Celery worker writing to one folder."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from modgate.moderation.tables import ModerationRow
from modgate.review.lane import SqlReviewLane
from modgate.review.models import Reviewer, VerdictInput
from pipeline_helpers import marker_png, plain_png, wait_for
from servers import free_port, run_modgate


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(scrape: dict[Any, float], name: str, **labels: str) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(url: str, headers: dict[str, str] | None = None) -> dict[Any, float]:
    response = httpx.get(f"{url}/metrics", headers=headers or {}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def submit(url: str, image: bytes) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.png", image)},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_counters_move_by_exactly_the_items_sent(live_server, services) -> None:  # type: ignore[no-untyped-def]
    url = live_server.url
    before = scrape(url)
    actions = [
        submit(url, image)["action"] for image in (marker_png(1), marker_png(2), plain_png(3))
    ]
    after = scrape(url)
    for action in set(actions):
        moved = value(after, "modgate_moderations_total", action=action, surface="default") - value(
            before, "modgate_moderations_total", action=action, surface="default"
        )
        assert moved == actions.count(action), (action, actions)
    for histogram in ("modgate_detection_seconds", "modgate_decision_seconds"):
        count = f"{histogram}_count"
        assert value(after, count) - value(before, count) == 3
        assert (
            value(after, f"{histogram}_bucket", le="+Inf")
            - value(before, f"{histogram}_bucket", le="+Inf")
            == 3
        )


def test_a_verdict_moves_the_review_counters_and_the_queue_gauges(live_server, services) -> None:  # type: ignore[no-untyped-def]
    url = live_server.url
    review = services.review
    # An item queued for review in its own queue (the gauges read the database when scraped).
    decided = submit(url, plain_png(7))
    with services.sessions() as session, session.begin():
        row = session.scalars(select(ModerationRow).where(ModerationRow.id == decided["id"])).one()
        row.decision = {"action": "review", "matched": [], "review": {"queue": "gauge-test"}}
        SqlReviewLane(review.settings).open(session, row)
    waiting = scrape(url)
    assert value(waiting, "modgate_review_queue_depth", queue="gauge-test") == 1
    assert value(waiting, "modgate_review_queue_oldest_seconds", queue="gauge-test") >= 0
    reviewer = Reviewer("usr_gauge", "gauge", ("gauge-test",), False)
    claim = review.claim_next(reviewer, "gauge-test")
    assert claim is not None
    review.submit_verdict(claim.task_id, reviewer, VerdictInput("allow", {}, (), "", 0.0))
    after = scrape(url)
    assert (
        value(after, "modgate_reviews_total", outcome="allow")
        - value(waiting, "modgate_reviews_total", outcome="allow")
        == 1
    )
    for histogram in ("modgate_review_seconds", "modgate_review_handling_seconds"):
        assert value(after, f"{histogram}_count") - value(waiting, f"{histogram}_count") == 1
    assert value(after, "modgate_review_queue_depth", queue="gauge-test") == 0


def _env(values: dict[str, Any]) -> dict[str, str]:
    """``values`` as ``MODGATE_…`` variables over this environment without its own (nor this
    test process's sample folder)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MODGATE_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    for key, item in values.items():
        if isinstance(item, dict):
            env |= {
                f"MODGATE_{key.upper()}__{k.upper()}": v if isinstance(v, str) else json.dumps(v)
                for k, v in item.items()
            }
        else:
            env[f"MODGATE_{key.upper()}"] = str(item)
    return env


@pytest.fixture
def deployment(tmp_path: Path, postgres_url: str) -> Iterator[tuple[list[str], Path]]:
    """Two ``modgate serve`` processes and one ``modgate worker`` (Celery) on one database and
    one sample folder: API A runs its own jobs (embedded), API B hands them to the worker."""
    redis_db = random.randint(1, 15)
    redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()
    folder = tmp_path / "prometheus"
    base: dict[str, Any] = {
        "data_dir": str(tmp_path / "data"),
        "database_url": postgres_url,
        "detection": {"enabled": ["marker"]},
        "auth": {"api_keys_required": False},
        "metrics": {"prometheus": "open", "prometheus_dir": str(folder)},
    }
    celery = {"executor": "celery", "broker_url": f"redis://127.0.0.1:6379/{redis_db}"}
    embedded = {"executor": "embedded", "workers": 1, "poll_seconds": 3600}
    upgraded = run_modgate(["db", "upgrade"], _env(base | {"pipeline": celery}))
    assert upgraded.returncode == 0, upgraded.stderr
    ports = [free_port(), free_port()]
    logs = tmp_path / "logs"
    logs.mkdir()
    commands = [
        (["serve", "--port", str(ports[0])], embedded),
        (["serve", "--port", str(ports[1])], celery),
        (["worker", "--concurrency", "2"], celery | {"poll_seconds": 0.2}),
    ]
    processes = []
    try:
        for i, (args, pipeline) in enumerate(commands):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "modgate", *args],
                    env=_env(base | {"pipeline": pipeline}),
                    stdout=(logs / f"{i}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url in urls:
            wait_for(lambda url=url: _healthy(url), timeout=60)
        yield urls, folder
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_two_api_processes_and_a_celery_worker_add_up(
    deployment: tuple[list[str], Path],
) -> None:
    (api_a, api_b), folder = deployment
    sent = [submit(api_a, marker_png(21)), submit(api_a, plain_png(22))]
    sent += [submit(api_b, image) for image in (marker_png(23), plain_png(24), plain_png(25))]
    expected = {action: [m["action"] for m in sent].count(action) for action in ("allow", "block")}
    for url in (api_a, api_b):  # either API answers for every process
        found = scrape(url)
        for action, count in expected.items():
            assert value(found, "modgate_moderations_total", action=action, surface="default") == (
                count
            ), (url, action)
        assert value(found, "modgate_detection_seconds_count") == 5
        assert value(found, "modgate_decision_seconds_count") == 5
    # The samples came from more than one process: API A's own and the worker's.
    writers = {path.stem.rsplit("_", 1)[-1] for path in folder.glob("counter_*.db")}
    assert len(writers) >= 2, sorted(folder.iterdir())


@pytest.mark.parametrize(("access", "anonymous"), [("open", 200), ("key", 401), ("off", 404)])
def test_the_setting_says_who_may_scrape(tmp_path: Path, access: str, anonymous: int) -> None:
    from modgate.app import create_app
    from modgate.auth.models import SCOPES
    from modgate.services import Services
    from modgate.settings import load_settings
    from servers import LiveServer

    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 0},
        metrics={"prometheus": access},
    )  # API keys required, as by default
    services = Services.build(settings)
    key = services.auth.create_key("scraper", ["metrics:read"], actor="cli:tests@localhost")[0]
    other = services.auth.create_key(
        "other", [s for s in SCOPES if s != "metrics:read"], actor="cli:tests@localhost"
    )[0]
    try:
        with LiveServer(create_app(settings, services)) as server:
            assert httpx.get(f"{server.url}/metrics").status_code == anonymous
            with_key = httpx.get(f"{server.url}/metrics", headers={"X-API-Key": key})
            assert with_key.status_code == (404 if access == "off" else 200)
            if access == "key":
                refused = httpx.get(f"{server.url}/metrics", headers={"X-API-Key": other})
                assert refused.status_code == 403
    finally:
        services.close()
