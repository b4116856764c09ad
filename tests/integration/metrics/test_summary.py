"""The metrics summary on a seeded history, each figure worked out by hand (see
metrics_seed.py for the history), on SQLite and PostgreSQL; and the same over HTTP, scoped to
the calling key's tenant."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from metrics_seed import NOW, OTHER, SINCE, TENANT, UNTIL, at, seed
from sqlalchemy.orm import Session, sessionmaker

from modgate.db import make_engine, session_factory, upgrade
from modgate.metrics.service import MetricsService
from modgate.metrics.summary import SummaryQuery

Z = 1.959963984540054


def wilson(share: float, n: float) -> tuple[float, float]:
    """Wilson's score interval, written out from the textbook formula."""
    centre = (share + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(share * (1 - share) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    factory = session_factory(engine)
    seed(factory)
    yield factory
    engine.dispose()


def _summary(sessions: sessionmaker[Session], **query: Any) -> dict[str, Any]:
    service = MetricsService(sessions, lambda _scope: [], clock=lambda: NOW)
    query.setdefault("tenant", TENANT)
    return service.summary(SummaryQuery(**query))


def test_every_figure_of_a_day_equals_the_hand_count(sessions: sessionmaker[Session]) -> None:
    found = _summary(sessions, since=SINCE, until=UNTIL)
    # 11 decisions: 4 allow, 2 block, 4 review, 1 annotate (one earlier, one of another tenant).
    assert found["total"] == 11
    assert found["counts"] == {"allow": 4, "annotate": 1, "block": 2, "review": 4}
    assert found["auto_allowed_ratio"] == pytest.approx(4 / 11)
    assert found["auto_blocked_ratio"] == pytest.approx(2 / 11)
    assert found["review_ratio"] == pytest.approx(4 / 11)
    assert found["actions"]["annotate"] == pytest.approx(1 / 11)
    assert sum(found["actions"].values()) == pytest.approx(1.0)
    # Claim to verdict: 30, 60, 90, 120 (routed) and 40, 20, 10 s (quality checks).
    assert found["reviews_timed"] == 7
    assert found["average_review_seconds"] == pytest.approx(370 / 7)
    assert found["p90_review_seconds"] == 120  # nearest rank: the 7th of 7
    # With the machine: m8's two reviewers reject the flag, m9's names a missed label, m1's
    # check blocks what was allowed (4 of 7); m8's two reviewers agree with each other (1).
    assert found["disagreement"] == {
        "compared": 8,
        "disagreed": 4,
        "with_machine": 4,
        "between_reviewers": 0,
    }
    assert found["disagreement_rate"] == 0.5
    assert (found["appeals_resolved"], found["appeal_overturn_rate"]) == (2, 0.5)
    assert found["policy_changes"] == 2
    # m10's two pending slots, queued at 3 h; it is 5 h now.
    assert found["queue_depth"] == 2
    assert found["oldest_pending_seconds"] == 7200
    assert found["queues"] == [{"queue": "nudity", "depth": 2, "oldest_pending_seconds": 7200}]


def test_false_positive_and_negative_rates_weigh_each_check_by_its_probability(
    sessions: sessionmaker[Session],
) -> None:
    categories = _summary(sessions, since=SINCE, until=UNTIL)["categories"]
    explicit, violence = categories["Explicit"], categories["Violence"]
    assert (explicit["flagged"], violence["flagged"]) == (4, 2)
    # Explicit flagged and checked: m7 (w 1, confirmed), m8 (w 1, rejected), m5 (w 2, drawn
    # with 0.5, found): 1 / 4 wrong; effective size (1+1+2)² / (1+1+4) = 8/3.
    assert explicit["false_positive_rate"] == 0.25
    low, high = wilson(0.25, 8 / 3)
    assert explicit["ci_low"]["false_positive_rate"] == pytest.approx(low, abs=1e-6)
    assert explicit["ci_high"]["false_positive_rate"] == pytest.approx(high, abs=1e-6)
    assert explicit["sample_size"] == {"false_positive_rate": 3, "false_negative_rate": 2}
    # Explicit found: m7 and m5, both flagged.
    assert explicit["false_negative_rate"] == 0.0
    assert explicit["ci_high"]["false_negative_rate"] == pytest.approx(wilson(0, 1.8)[1], abs=1e-6)
    # Violence found: m9 (w 1, flagged) and m1 (w 4, drawn with 0.25, allowed): 4 / 5 missed.
    assert violence["false_negative_rate"] == 0.8
    low, high = wilson(0.8, 25 / 17)
    assert violence["ci_low"]["false_negative_rate"] == pytest.approx(low, abs=1e-6)
    assert violence["ci_high"]["false_negative_rate"] == pytest.approx(high, abs=1e-6)
    assert violence["false_positive_rate"] == 0.0  # m9's flag was right
    # A category nobody flagged or found is listed, without rates.
    assert categories["Gambling"] == {
        "flagged": 0,
        "false_positive_rate": None,
        "false_negative_rate": None,
        "ci_low": {"false_positive_rate": None, "false_negative_rate": None},
        "ci_high": {"false_positive_rate": None, "false_negative_rate": None},
        "sample_size": {"false_positive_rate": 0, "false_negative_rate": 0},
    }


def test_surface_region_queue_and_period_narrow_the_figures(
    sessions: sessionmaker[Session],
) -> None:
    chat = _summary(sessions, since=SINCE, until=UNTIL, surface="chat")
    assert (chat["total"], chat["auto_allowed_ratio"], chat["review_ratio"]) == (1, 1.0, 0.0)
    assert (chat["appeals_resolved"], chat["appeal_overturn_rate"]) == (1, 0.0)
    assert chat["policy_changes"] == 1
    assert chat["average_review_seconds"] is None and chat["disagreement_rate"] is None
    france = _summary(sessions, since=SINCE, until=UNTIL, region="FR")
    assert (france["total"], france["counts"]) == (1, {"allow": 1})
    violence = _summary(sessions, since=SINCE, until=UNTIL, queue="violence")
    assert violence["total"] == 11  # decisions are not narrowed by a queue
    assert (violence["average_review_seconds"], violence["p90_review_seconds"]) == (120, 120)
    assert violence["disagreement_rate"] == 1.0
    assert (violence["queue_depth"], violence["oldest_pending_seconds"]) == (0, None)
    window = _summary(sessions, since=at(1.05), until=at(1.35))
    assert (window["total"], window["review_ratio"]) == (3, 1.0)
    assert window["reviews_timed"] == 0 and window["average_review_seconds"] is None
    empty = _summary(sessions, since=at(-30), until=at(-20))
    assert (empty["total"], empty["auto_allowed_ratio"], empty["disagreement_rate"]) == (
        0,
        None,
        None,
    )


def test_another_tenant_sees_only_its_own(sessions: sessionmaker[Session]) -> None:
    other = _summary(sessions, tenant=OTHER)
    assert (other["total"], other["counts"]) == (1, {"block": 1})
    assert (other["queue_depth"], other["appeal_overturn_rate"]) == (3, 1.0)
    assert other["categories"]["Explicit"]["flagged"] == 1


@pytest.fixture
def api(settings, services) -> Iterator[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    from modgate.app import create_app
    from servers import LiveServer

    seed(services.sessions)
    services.metrics.clock = lambda: NOW
    with LiveServer(create_app(settings, services)) as server:
        yield server.url, services


def test_the_api_answers_the_callers_tenant_and_refuses_bad_periods(
    api: tuple[str, Any],
) -> None:
    url, services = api
    keys = {
        tenant: services.auth.create_key(
            tenant, ["metrics:read"], tenant, actor="cli:tests@localhost"
        )[0]
        for tenant in (TENANT, OTHER)
    }
    period = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    with httpx.Client(base_url=url) as client:
        mine = client.get("/v1/metrics/summary", params=period, headers={"X-API-Key": keys[TENANT]})
        assert mine.status_code == 200, mine.text
        assert mine.json() == _summary(services.sessions, since=SINCE, until=UNTIL)
        theirs = client.get("/v1/metrics/summary", headers={"X-API-Key": keys[OTHER]})
        assert (theirs.json()["tenant"], theirs.json()["total"]) == (OTHER, 1)
        for params in (
            {"since": "yesterday"},
            {"since": UNTIL.isoformat(), "until": SINCE.isoformat()},
            {"surface": ""},
        ):
            refused = client.get(
                "/v1/metrics/summary", params=params, headers={"X-API-Key": keys[TENANT]}
            )
            assert refused.status_code == 400, (params, refused.text)
            assert refused.json()["error"]["code"] == "InvalidParameterException"
