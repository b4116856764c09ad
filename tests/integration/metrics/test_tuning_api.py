"""``GET /v1/metrics/tuning`` over real HTTP on the tuning history (``tuning_seed``): the
caller's tenant's checked decisions only, the same recommendation as ``modgate policy tune``,
a stored version by its prefix, 404 for a version that does not exist, 400 for bad targets and
403 without ``metrics:read``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from metrics_seed import OTHER, TENANT, History
from tuning_seed import SINCE, UNTIL, seed_tuning

from modgate.db import make_engine, session_factory, upgrade
from modgate.metrics.tuning import labelled_examples, traffic
from modgate.policy import load_policy
from modgate.policy.tuning import TuningQuery

SEED = Path(__file__).parents[3] / "policies" / "seed.yaml"
URL = "/v1/metrics/tuning"


@pytest.fixture
def api(settings, services) -> Iterator[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    from modgate.app import create_app
    from servers import LiveServer

    seed_tuning(services.sessions)
    with LiveServer(create_app(settings, services)) as server:
        yield server.url, services


def test_the_curves_of_the_callers_tenant(api: tuple[str, Any]) -> None:
    url, services = api
    auth = services.auth
    keys = {
        tenant: auth.create_key(tenant, ["metrics:read"], tenant, actor="cli:tests@localhost")[0]
        for tenant in (TENANT, OTHER)
    }
    unscoped = auth.create_key("x", ["moderations:read"], TENANT, actor="cli:tests@localhost")[0]
    stored = services.policies.save(load_policy(SEED), author="cli:tests@localhost")
    period = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    targets = {"target_precision": 0.95, "target_recall": 0.8}
    with httpx.Client(base_url=url) as client:

        def get(key: str, **params: Any) -> httpx.Response:
            return client.get(URL, params=params, headers={"X-API-Key": key})

        mine = get(keys[TENANT], **period, **targets)
        assert mine.status_code == 200, mine.text
        found = mine.json()
        assert (found["policy"], found["tenant"], found["examples"]) == ("seed", TENANT, 335)
        assert found["tuned"] == ["Explicit", "Violence"]
        assert found["categories"]["Explicit"]["proposed"]["block"] == 76
        assert found["categories"]["Violence"]["proposed"]["review"] == 60
        assert found["categories"]["Gambling"]["status"] == "insufficient_history"
        assert found["curves"]["Explicit"]["precision"][80] == pytest.approx(238 / 240)

        # Without targets: the curves, every threshold as it is.
        plain = get(keys[TENANT], category="Explicit").json()
        assert list(plain["curves"]) == ["Explicit"] and plain["tuned"] == []
        assert plain["categories"]["Explicit"]["status"] == "unchanged"

        # Another tenant reads its own history: 40 checks, none of acme's.
        theirs = get(keys[OTHER], **targets).json()
        assert (theirs["tenant"], theirs["examples"], theirs["decisions"]) == (OTHER, 40, 40)
        assert theirs["curves"]["Violence"]["examples"] == 0
        assert theirs["tuned"] == []

        # A stored version by a prefix; one that does not exist is a 404.
        pinned = get(keys[TENANT], policy=stored.version[:12], **targets)
        assert pinned.status_code == 200 and pinned.json()["policy_version"] == stored.version
        missing = get(keys[TENANT], policy="deadbeef")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "PolicyVersionNotFoundException"

        for params in (
            {"target_precision": 1.5},
            {"confidence": 1},
            {"since": UNTIL.isoformat(), "until": SINCE.isoformat()},
            {"policy": "not-hex"},
        ):
            refused = get(keys[TENANT], **params)
            assert refused.status_code == 400, (params, refused.text)
            assert refused.json()["error"]["code"] == "InvalidParameterException"
        assert get(unscoped).status_code == 403


def test_the_history_reads_the_same_on_sqlite_and_postgresql(database_url: str) -> None:
    """The checked decisions and the traffic's histogram (floored confidences: PostgreSQL's
    CAST would round 85.5 up) as the database gives them."""
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    sessions = session_factory(engine)
    seed_tuning(sessions)
    with sessions() as session, session.begin():
        History(session).moderation("allow", SINCE, unflagged={"Gambling": 85.5})
    query = TuningQuery(TENANT, SINCE, UNTIL)
    try:
        with sessions() as session:
            examples = labelled_examples(session, query)
            seen = traffic(session, query)
    finally:
        engine.dispose()
    assert len(examples) == 335
    weights = sorted({(e.stratum, e.weight) for e in examples})
    assert weights == [("Explicit/50", 2.0), ("none/50", 2.0), ("none/50", 5.0), ("routed", 1.0)]
    missed = [e for e in examples if "Violence" in e.found and e.confidences["Violence"] == 30.0]
    assert len(missed) == 1 and missed[0].weight == 5.0
    assert seen.total == 536
    assert seen.histograms["Gambling"][86] == 1 and seen.histograms["Gambling"][81] == 5
    assert seen.histograms["Violence"][11] == 200
