"""The stream store on SQLite and PostgreSQL: a stream goes to one worker at a time under a
lease, another worker takes it over once the lease ran out, the worker that lost it can neither
renew nor commit, a stopped stream is held by no one, and each tenant reads only its own."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from contract_databases import Database
from sqlalchemy import select

from modgate.db.base import transaction
from modgate.errors import ResourceNotFoundException
from modgate.events.tables import EventRow
from modgate.outbound import OutboundGuard, OutboundPolicy
from modgate.streams.lifecycle import give_up_if_worn
from modgate.streams.service import StreamService
from modgate.streams.settings import StreamSettings
from modgate.streams.store import SqlStreamStore, held

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    found: Database = request.getfixturevalue(f"{request.param}_database")
    return found


def _service(database: Database) -> StreamService:
    guard = OutboundGuard(OutboundPolicy.parse("127.0.0.1"))
    return StreamService(database.sessions, StreamSettings(), guard, lambda: START)


def _start(service: StreamService, tenant: str = "acme") -> str:
    url = "http://127.0.0.1:9/live.m3u8"
    return str(service.create(url, tenant=tenant, actor="cli:tests@localhost")["id"])


def test_one_worker_holds_a_stream_until_its_lease_runs_out(database: Database) -> None:
    service = _service(database)
    store = SqlStreamStore(database.sessions)
    stream_id = _start(service)
    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(lambda w: store.claim(w, 10, START), ["a", "b", "c", "d"]))
    assert [c for c in claims if c is not None] == [stream_id]
    winner = "abcd"[claims.index(stream_id)]
    loser = "a" if winner != "a" else "b"
    assert store.claim(loser, 10, START + dt.timedelta(seconds=5)) is None
    assert store.extend(stream_id, winner, 10, START + dt.timedelta(seconds=5))
    later = START + dt.timedelta(seconds=16)  # the renewed lease ran out at 15 s
    assert store.claim(loser, 10, later) == stream_id
    assert not store.extend(stream_id, winner, 10, later)
    with transaction(database.sessions) as session:
        assert held(session, stream_id, winner) is None
        assert held(session, stream_id, loser) is not None


def test_a_stopped_stream_is_held_by_no_one(database: Database) -> None:
    service = _service(database)
    store = SqlStreamStore(database.sessions)
    stream_id = _start(service)
    assert store.claim("a", 10, START) == stream_id
    stopped = service.stop(stream_id, "acme", actor="cli:tests@localhost")
    assert (stopped["status"], stopped["reason"]) == ("stopped", "stopped by a client")
    assert not store.extend(stream_id, "a", 10, START)
    assert store.claim("b", 10, START + dt.timedelta(hours=1)) is None


def test_each_tenant_reads_only_its_own_streams(database: Database) -> None:
    service = _service(database)
    mine, theirs = _start(service, "acme"), _start(service, "other")
    assert service.get(mine, "acme")["id"] == mine
    with pytest.raises(ResourceNotFoundException):
        service.get(theirs, "acme")
    with pytest.raises(ResourceNotFoundException):
        service.stop(theirs, "acme", actor="cli:tests@localhost")
    assert [item["id"] for item in service.page("acme", 10, None)[0]] == [mine]


def test_a_stream_taken_up_too_often_ends_as_failed(database: Database) -> None:
    service = _service(database)
    store = SqlStreamStore(database.sessions)
    stream_id = _start(service)
    now = START
    for take in range(1, 5):
        now += dt.timedelta(seconds=11)  # the last holder's lease ran out
        assert store.claim(f"w{take}", 10, now) == stream_id
        with transaction(database.sessions) as session:
            row = held(session, stream_id, f"w{take}")
            assert row is not None and row.holds == take
            worn = give_up_if_worn(session, row, 3, now)
        assert worn == (take == 4)
    stream = service.get(stream_id, "acme")
    assert stream["status"] == "failed" and "taken up 4 times" in stream["reason"]
    assert store.claim("w5", 10, now + dt.timedelta(seconds=11)) is None
    with database.sessions() as session:
        names = session.scalars(select(EventRow.name).where(EventRow.tenant == "acme")).all()
    assert names.count("stream.ended") == 1
