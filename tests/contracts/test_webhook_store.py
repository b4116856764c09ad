"""The contract every WebhookStore passes (in memory, SQLite, PostgreSQL): endpoints are added,
listed per tenant and ended; each committed event fans out once, to the endpoints that want it;
a delivery goes to one sender at a time; a failing endpoint's deliveries wait for its retry
while the others' are sent."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from contract_databases import Database, add_moderations

from modgate.errors import ResourceNotFoundException
from modgate.events import Event, ModerationCompleted, PreviewRevealed, ReviewCompleted, record
from modgate.events.webhooks import Endpoint, SqlWebhookStore, WebhookStore
from modgate.events.webhooks.memory import InMemoryWebhookStore
from modgate.events.webhooks.models import Attempt
from modgate.moderation.tables import ModerationRow

NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


@dataclass
class Harness:
    store: WebhookStore
    commit: Callable[[Event, str], None]  # an event committed, for a moderation of a tenant

    def complete(self, moderation_id: str, tenant: str = "default") -> None:
        self.commit(
            ModerationCompleted(
                moderation_id=moderation_id, moderation={"moderation_id": moderation_id}
            ),
            tenant,
        )


@pytest.fixture
def harness(database: Database | None) -> Harness:
    if database is None:
        memory = InMemoryWebhookStore()
        return Harness(memory, memory.record)

    def commit(event: Event, tenant: str) -> None:
        media_id = database.add_media()
        with database.transaction() as session:
            # The tenant an event is for is its moderation's.
            if session.get(ModerationRow, event.moderation_id) is None:
                add_moderations(session, media_id, [event.moderation_id], tenant)
            record(session, event)

    return Harness(SqlWebhookStore(database.sessions), commit)


def endpoint(
    endpoint_id: str, events: tuple[str, ...] = ("moderation.completed",), tenant: str = "default"
) -> Endpoint:
    return Endpoint(
        id=endpoint_id,
        url=f"http://127.0.0.1:9/{endpoint_id}",
        events=events,
        secret="s3cret",
        client=None,
        active=True,
        created_at=NOW,
        tenant=tenant,
    )


def test_endpoints_are_listed_per_tenant_and_ended_by_their_owner(harness: Harness) -> None:
    store = harness.store
    shop, every = endpoint("whk_shop", tenant="shop"), endpoint("whk_all")
    store.add_endpoint(shop, actor="cli:tests@localhost")
    store.add_endpoint(every, actor="cli:tests@localhost")
    assert sorted(e.id for e in store.active_endpoints()) == ["whk_all", "whk_shop"]
    assert store.active_endpoints(tenant="shop") == [shop]
    assert store.active_endpoints(tenant="forum") == []
    with pytest.raises(ResourceNotFoundException):
        store.deactivate(
            "whk_shop", tenant="forum", actor="cli:tests@localhost"
        )  # another tenant's endpoint
    with pytest.raises(ResourceNotFoundException):
        store.deactivate("whk_missing", actor="cli:tests@localhost")
    store.deactivate("whk_shop", tenant="shop", actor="cli:tests@localhost")
    assert store.active_endpoints() == [every]
    with pytest.raises(ResourceNotFoundException):
        store.deactivate("whk_shop", actor="cli:tests@localhost")  # ended already
    with pytest.raises(ResourceNotFoundException):
        store.deliveries("whk_shop", "shop", 10, None)


def test_each_event_fans_out_once_to_the_endpoints_that_want_it(harness: Harness) -> None:
    store = harness.store
    store.add_endpoint(
        endpoint("whk_all", ("moderation.completed", "review.completed")),
        actor="cli:tests@localhost",
    )
    store.add_endpoint(endpoint("whk_reviews", ("review.completed",)), actor="cli:tests@localhost")
    store.add_endpoint(endpoint("whk_shop", tenant="shop"), actor="cli:tests@localhost")
    harness.complete("mod_1")
    harness.commit(PreviewRevealed(moderation_id="mod_1", task_id="t", review_id="r"), "default")
    harness.commit(
        ReviewCompleted(moderation_id="mod_1", moderation={}, review_id="r", verdict={}), "default"
    )
    harness.complete("mod_2", tenant="shop")
    assert store.fan_out(NOW, batch=2) == 2  # the reveal is not a webhook event
    assert store.fan_out(NOW, batch=200) == 1
    assert store.fan_out(NOW, batch=200) == 0
    sent = {
        name: sorted(
            (d.moderation_id, d.event_name) for d in store.deliveries(name, None, 10, None)[0]
        )
        for name in ("whk_all", "whk_reviews", "whk_shop")
    }
    # An endpoint hears only of its tenant's moderations: mod_1 is default's, mod_2 "shop"'s.
    assert sent == {
        "whk_all": [("mod_1", "moderation.completed"), ("mod_1", "review.completed")],
        "whk_reviews": [("mod_1", "review.completed")],
        "whk_shop": [("mod_2", "moderation.completed")],
    }


def test_dispatchers_fanning_out_at_once_make_one_delivery_per_endpoint(
    harness: Harness,
) -> None:
    for name in ("whk_a", "whk_b", "whk_c"):
        harness.store.add_endpoint(endpoint(name), actor="cli:tests@localhost")
    for number in range(10):
        harness.complete(f"mod_{number}")
    start = threading.Barrier(3)

    def dispatcher() -> None:
        start.wait()
        while harness.store.fan_out(NOW, batch=4):
            pass

    threads = [threading.Thread(target=dispatcher) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for name in ("whk_a", "whk_b", "whk_c"):
        deliveries = harness.store.deliveries(name, None, 50, None)[0]
        assert sorted(d.moderation_id for d in deliveries) == [f"mod_{n}" for n in range(10)]


def test_a_delivery_goes_to_one_sender_at_a_time(harness: Harness) -> None:
    store = harness.store
    for index in range(12):
        store.add_endpoint(endpoint(f"whk_{index}"), actor="cli:tests@localhost")
    harness.complete("mod_1")
    harness.complete("mod_2")
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
        thread.join(timeout=60)
    assert len(claimed) == len(set(claimed)) == 24
    # A lease that ran out makes the delivery claimable again, as a second try.
    again = store.claim(NOW + 2 * LEASE, LEASE)
    assert again is not None and again.attempts == 2


def test_a_claimed_delivery_carries_its_endpoint_and_event(harness: Harness) -> None:
    harness.store.add_endpoint(endpoint("whk_1"), actor="cli:tests@localhost")
    harness.complete("mod_1")
    harness.store.fan_out(NOW, batch=200)
    delivery = harness.store.claim(NOW, LEASE)
    assert delivery is not None
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 1, NOW)
    target, event = harness.store.outgoing(delivery)
    assert target == endpoint("whk_1")
    assert (event.id, event.name, event.payload) == (
        delivery.event_id,
        "moderation.completed",
        {"moderation_id": "mod_1"},
    )
    harness.store.record_attempt(delivery.id, Attempt("delivered", 204, None, delivered_at=NOW))
    logged = harness.store.deliveries("whk_1", None, 10, None)[0]
    assert [(d.status, d.last_status, d.delivered_at) for d in logged] == [("delivered", 204, NOW)]
    assert harness.store.claim(NOW + 2 * LEASE, LEASE) is None  # delivered: never sent again


def test_a_failing_endpoint_holds_only_its_own_deliveries(harness: Harness) -> None:
    store = harness.store
    store.add_endpoint(endpoint("whk_down"), actor="cli:tests@localhost")
    store.add_endpoint(endpoint("whk_up"), actor="cli:tests@localhost")
    for moderation_id in ("mod_1", "mod_2"):
        harness.complete(moderation_id)
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


def test_ending_an_endpoint_fails_what_it_was_not_sent(harness: Harness) -> None:
    store = harness.store
    for name in ("whk_gone", "whk_kept"):
        store.add_endpoint(endpoint(name), actor="cli:tests@localhost")
    harness.complete("mod_1")
    harness.complete("mod_2")
    store.fan_out(NOW, batch=200)
    under_way = store.claim(NOW, LEASE, busy={"whk_kept"})
    assert under_way is not None and under_way.endpoint_id == "whk_gone"
    store.deactivate("whk_gone", actor="cli:tests@localhost")
    # The sender of a delivery claimed before the end learns of it; the other is never sent.
    assert store.outgoing(under_way)[0].active is False
    sent = []
    while (delivery := store.claim(NOW + 2 * LEASE, LEASE)) is not None:
        sent.append(delivery.endpoint_id)
    assert sent == ["whk_kept", "whk_kept"]
    harness.complete("mod_3")
    store.fan_out(NOW, batch=200)  # an ended endpoint gets no new deliveries
    later = store.claim(NOW + 2 * LEASE, LEASE)
    assert later is not None and (later.endpoint_id, later.moderation_id) == ("whk_kept", "mod_3")


def test_the_delivery_log_pages_newest_first(harness: Harness) -> None:
    harness.store.add_endpoint(endpoint("whk_1"), actor="cli:tests@localhost")
    for number in range(5):
        harness.complete(f"mod_{number}")
        harness.store.fan_out(NOW + dt.timedelta(minutes=number), batch=200)
    pages, cursor = [], None
    while True:
        page, cursor = harness.store.deliveries("whk_1", None, 2, cursor)
        pages.append([d.moderation_id for d in page])
        if cursor is None:
            break
    assert pages == [["mod_4", "mod_3"], ["mod_2", "mod_1"], ["mod_0"]]
