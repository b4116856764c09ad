"""The webhook store on SQLite and on PostgreSQL: each event fans out once, to the endpoints
of its moderation's tenant that want it; a delivery goes to one sender at a time; a failing
endpoint's deliveries wait."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from modgate.db import make_engine, session_factory, upgrade
from modgate.db.base import transaction
from modgate.errors import ResourceNotFoundException
from modgate.events import ModerationCompleted, PreviewRevealed, ReviewCompleted, record
from modgate.events.webhooks import Endpoint, SqlWebhookStore
from modgate.events.webhooks.models import Attempt

NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'webhooks.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()


def _endpoint(endpoint_id: str, events: tuple[str, ...], tenant: str = "default") -> Endpoint:
    return Endpoint(id=endpoint_id, url=f"http://127.0.0.1:9/{endpoint_id}", events=events,
                    secret="s3cret", client=None, active=True, created_at=NOW, tenant=tenant)


def _complete(sessions: sessionmaker[Session], moderation_id: str) -> None:
    with transaction(sessions) as session:
        record(session, ModerationCompleted(moderation_id=moderation_id,
                                            moderation={"moderation_id": moderation_id}))


def test_each_event_fans_out_once_to_the_endpoints_that_want_it(
    sessions: sessionmaker[Session],
) -> None:
    store = SqlWebhookStore(sessions)
    store.add_endpoint(_endpoint("whk_all", ("moderation.completed", "review.completed")))
    store.add_endpoint(_endpoint("whk_reviews", ("review.completed",)))
    store.add_endpoint(_endpoint("whk_shop", ("moderation.completed",), tenant="shop"))
    with transaction(sessions) as session:
        record(session, ModerationCompleted(moderation_id="mod_1", moderation={}))
        record(session, PreviewRevealed(moderation_id="mod_1", task_id="t", review_id="r"))
        record(session, ReviewCompleted(moderation_id="mod_1", moderation={}, review_id="r",
                                        verdict={}))
    assert store.fan_out(NOW, batch=200) == 2  # the reveal is not a webhook event
    assert store.fan_out(NOW, batch=200) == 0
    events = {endpoint: sorted(d.event_name for d in store.deliveries(endpoint, None, 10, None)[0])
              for endpoint in ("whk_all", "whk_reviews", "whk_shop")}
    # whk_shop belongs to the tenant "shop"; mod_1 (no such moderation) counts as default's.
    assert events == {"whk_all": ["moderation.completed", "review.completed"],
                      "whk_reviews": ["review.completed"], "whk_shop": []}


def test_a_delivery_goes_to_one_sender_at_a_time(sessions: sessionmaker[Session]) -> None:
    store = SqlWebhookStore(sessions)
    for index in range(12):
        store.add_endpoint(_endpoint(f"whk_{index}", ("moderation.completed",)))
    _complete(sessions, "mod_1")
    _complete(sessions, "mod_2")
    store.fan_out(NOW, batch=200)
    claimed: list[str] = []
    lock = threading.Lock()

    def sender() -> None:
        while (delivery := store.claim(NOW, LEASE)) is not None:
            with lock:
                claimed.append(delivery.id)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == len(set(claimed)) == 24
    # A lease that ran out makes the delivery claimable again, as a second try.
    again = store.claim(NOW + 2 * LEASE, LEASE)
    assert again is not None and again.attempts == 2


def test_a_failing_endpoint_holds_only_its_own_deliveries(sessions: sessionmaker[Session]) -> None:
    store = SqlWebhookStore(sessions)
    store.add_endpoint(_endpoint("whk_down", ("moderation.completed",)))
    store.add_endpoint(_endpoint("whk_up", ("moderation.completed",)))
    for moderation_id in ("mod_1", "mod_2"):
        _complete(sessions, moderation_id)
    store.fan_out(NOW, batch=200)
    first = store.claim(NOW, LEASE, busy={"whk_up"})
    assert first is not None and first.endpoint_id == "whk_down"
    retry_at = NOW + dt.timedelta(seconds=60)
    store.record_attempt(first.id, Attempt("pending", 500, "http_500", next_attempt_at=retry_at))
    # whk_down's other delivery waits for that retry; whk_up's are sent meanwhile.
    sent = []
    while (delivery := store.claim(NOW, LEASE)) is not None:
        sent.append(delivery.endpoint_id)
        store.record_attempt(delivery.id, Attempt("delivered", 204, None, delivered_at=NOW))
    assert sent == ["whk_up", "whk_up"]
    # At the retry time both go: the failed one on its second try, the other on its first.
    resumed = [store.claim(retry_at, LEASE) for _ in range(2)]
    assert sorted((d.id == first.id, d.attempts) for d in resumed if d) == [(False, 1), (True, 2)]
    log = {d.id: d for d in store.deliveries("whk_down", None, 10, None)[0]}
    assert (log[first.id].last_status, log[first.id].last_error) == (500, "http_500")


def test_deleting_an_endpoint_fails_what_it_was_not_sent(sessions: sessionmaker[Session]) -> None:
    store = SqlWebhookStore(sessions)
    store.add_endpoint(_endpoint("whk_shop", ("moderation.completed",), tenant="shop"))
    store.add_endpoint(_endpoint("whk_all", ("moderation.completed",)))
    _complete(sessions, "mod_1")
    store.fan_out(NOW, batch=200)
    with pytest.raises(ResourceNotFoundException):
        store.deactivate("whk_shop", tenant="forum")  # another tenant's endpoint
    store.deactivate("whk_all")
    assert [e.id for e in store.active_endpoints()] == ["whk_shop"]
    assert store.active_endpoints(tenant="forum") == []
    with pytest.raises(ResourceNotFoundException):
        store.deliveries("whk_all", None, 10, None)
    assert store.claim(NOW, LEASE) is None  # the one delivery went to whk_all, now failed
