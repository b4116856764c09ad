"""The audit log's costs, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/bench_audit.py                          # both, 1,000,000 entries
    .venv/bin/python benchmarks/bench_audit.py --entries 100000 --backends sqlite

Printed per backend:

* appends/s alone: ``modgate.audit.append`` of one entry per transaction (as a change writes
  it), ``--appends`` times, and beside it the same transaction without the entry (an event-log
  INSERT only) for scale — both bound by the commit's fsync (SQLite's ``synchronous=FULL``);
  then ``append_many`` inside one transaction: the append's own cost;
* ``audit verify`` over ``--entries`` entries: the log is filled first (entries hashed exactly
  as ``append`` does, inserted in batches: appending a million one by one would take as long
  as the benchmark), then ``verify_log`` reads and recomputes every one (target ≤ 20 s), and a
  signed checkpoint is checked too.

Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from databases import fresh_postgres_database  # noqa: E402
from modgate import audit  # noqa: E402
from modgate.audit.checkpoint import Checkpoint, SigningKey  # noqa: E402
from modgate.audit.log import canonical_json, leaf_data  # noqa: E402
from modgate.audit.merkle import Frontier, leaf_hash  # noqa: E402
from modgate.audit.tables import AuditEntryRow, AuditHeadRow  # noqa: E402
from modgate.audit.verify import verify_log  # noqa: E402
from modgate.db import make_engine, session_factory, transaction, upgrade  # noqa: E402
from modgate.db.base import table_of  # noqa: E402
from modgate.events import EventRow  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
KINDS = ("moderation.created", "moderation.completed", "review.verdict", "user.changed")
BATCH = 10_000


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "postgresql":
        with fresh_postgres_database(POSTGRES) as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/bench.db"


def appends_per_second(url: str, count: int) -> tuple[float, float]:
    engine = make_engine(url)
    sessions = session_factory(engine)
    events = table_of(EventRow)
    started = time.perf_counter()
    for number in range(count):
        with transaction(sessions) as session:
            session.execute(
                events.insert(),
                {"name": "x", "payload": {"n": number}, "created_at": dt.datetime.now(dt.UTC)},
            )
    bare = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for number in range(count):
        with transaction(sessions) as session:
            session.execute(
                events.insert(),
                {"name": "x", "payload": {"n": number}, "created_at": dt.datetime.now(dt.UTC)},
            )
            audit.append(
                session,
                "moderation.completed",
                tenant="default",
                actor=audit.SYSTEM,
                object=f"moderation:mod_{number}",
                payload={"n": number, "action": "block"},
                detail={"action": "block", "policy_version": "ab" * 32},
            )
    with_audit = count / (time.perf_counter() - started)
    engine.dispose()
    return bare, with_audit


def appends_in_one_transaction(url: str, count: int) -> float:
    """``append_many`` of ``count`` entries in one transaction: the append's own cost (hashes,
    inserts) without a commit after each."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    records = [
        audit.Record(
            "review.verdict", "default", audit.user_actor("usr_1"), f"moderation:mod_{n}",
            {"n": n}, {"action": "allow"},
        )
        for n in range(count)
    ]  # fmt: skip
    started = time.perf_counter()
    with transaction(sessions) as session:
        audit.append_many(session, records)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return count / elapsed


def fill(url: str, entries: int) -> tuple[int, bytes]:
    """``entries`` more entries, hashed as ``append`` hashes them; the log's size and root."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    table = table_of(AuditEntryRow)
    with sessions() as session:
        head = session.get(AuditHeadRow, 1)
        assert head is not None
        frontier = Frontier.from_bytes(head.size, head.frontier)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    detail = canonical_json({"action": "allow", "policy_version": "cd" * 32})
    rows = []
    for seq in range(frontier.size, frontier.size + entries):
        at = start + dt.timedelta(milliseconds=seq)
        kind = KINDS[seq % len(KINDS)]
        subject = f"moderation:mod_{seq // 4:032x}"
        digest = hashlib.sha256(str(seq).encode()).hexdigest()
        actor = f"user:usr_{seq % 50}"
        leaf = leaf_hash(leaf_data(seq, at, "default", actor, kind, subject, digest, detail))
        frontier.append(leaf)
        rows.append(
            {
                "seq": seq, "created_at": at, "tenant": "default", "actor": actor, "kind": kind,
                "object": subject, "payload_hash": digest, "detail": detail, "leaf_hash": leaf,
                "root_hash": frontier.root(),
            }
        )  # fmt: skip
        if len(rows) == BATCH:
            with transaction(sessions) as session:
                session.execute(table.insert(), rows)
            rows = []
    with transaction(sessions) as session:
        if rows:
            session.execute(table.insert(), rows)
        head = session.get(AuditHeadRow, 1)
        assert head is not None
        head.size, head.frontier = frontier.size, frontier.to_bytes()
    engine.dispose()
    return frontier.size, frontier.root()


def verify_seconds(url: str, checkpoint: Checkpoint) -> tuple[float, str]:
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.connect() as connection:
        verdict = verify_log(connection, checkpoint)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, "intact" if verdict.intact else f"NOT INTACT: {verdict.problem}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2_000)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    arguments = parser.parse_args()
    key = SigningKey.generate("bench.local/audit")
    for backend in arguments.backends:
        with database(backend) as url:
            upgrade(url)
            bare, with_audit = appends_per_second(url, arguments.appends)
            print(
                f"{backend}: {with_audit:,.0f} transactions/s with an audit entry, "
                f"{bare:,.0f}/s without ({with_audit / bare:.2f}×)"
            )
            alone = appends_in_one_transaction(url, arguments.appends * 5)
            print(f"{backend}: {alone:,.0f} appends/s with append_many (one transaction)")
            started = time.perf_counter()
            size, root = fill(url, arguments.entries)
            print(f"{backend}: filled to {size:,} entries in {time.perf_counter() - started:.1f} s")
            signed = Checkpoint.open(
                Checkpoint("bench.local/audit", size // 2, _root_at(url, size // 2)).sign(key),
                key.verifier,
            )
            elapsed, outcome = verify_seconds(url, signed)
            print(
                f"{backend}: audit verify over {size:,} entries (and a checkpoint at "
                f"{signed.size:,}): {elapsed:.1f} s, {size / elapsed:,.0f} entries/s — {outcome}"
            )


def _root_at(url: str, size: int) -> bytes:
    engine = make_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(AuditEntryRow.root_hash).where(AuditEntryRow.seq == size - 1)
        ).scalar_one()
    engine.dispose()
    return bytes(stored)


if __name__ == "__main__":
    main()
