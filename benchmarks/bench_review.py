"""Review claims under load: ``claim_next`` latency with a million pending tasks, and the
throughput of 20 reviewers claiming and deciding at once, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/bench_review.py                 # 1,000,000 tasks, both databases
    .venv/bin/python benchmarks/bench_review.py --tasks 100000 --backends sqlite

Tables are filled with set-based SQL (a recursive CTE on SQLite, generate_series on PostgreSQL):
one media row, then one moderation, one review and one task per item. Latency is measured in
steady state: each claimed task is marked done before the next claim, as a reviewer's verdict
would. Throughput runs whole reviews: claim, verdict, consolidation, event.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from modgate.db import make_engine, session_factory, upgrade
from modgate.review.models import QueueScope, Reviewer, VerdictInput
from modgate.review.service import ReviewService
from modgate.review.settings import ReviewSettings
from modgate.review.store import SqlReviewStore

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
QUEUE = "bench"
WARMUP = 100  # claims before timing starts (connection pool, caches)

SQLITE_FILL = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :count)
INSERT INTO {table} ({columns}) SELECT {values} FROM n
"""


def _sqlite_time(offset_ms: str) -> str:
    return (
        f"printf('%s.%06d', datetime('2026-01-01 00:00:00', '+' || (({offset_ms}) / 1000) "
        f"|| ' seconds'), ((({offset_ms}) % 1000) * 1000))"
    )


def fill(engine: sa.Engine, count: int) -> None:
    dialect = engine.dialect.name
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO media (id, sha256, kind, format, mime, size_bytes, blob_key, "
                "created_at) VALUES ('med_bench', :sha, 'image', 'JPEG', 'image/jpeg', 1, 'none', "
                ":at)"
            ),
            {
                "sha": "f" * 64,
                "at": BASE if dialect == "postgresql" else "2026-01-01 00:00:00.000000",
            },
        )
        if dialect == "postgresql":
            series = "FROM generate_series(0, :count - 1) AS i"
            at = "(timestamptz '2026-01-01 00:00:00+00' + i * interval '1 millisecond')"
            head = f"({at} - (i % 4) * interval '1 hour')"
            connection.execute(
                sa.text(
                    "INSERT INTO moderations (id, media_id, sha256, kind, status, context, action, "
                    "decision, created_at, updated_at) SELECT 'mod_' || i, 'med_bench', 'x', "
                    "'image', "
                    f"'completed', '{{}}', 'review', '{{\"matched\": []}}', {at}, {at} {series}"
                ),
                {"count": count},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO reviews (id, moderation_id, kind, queue, priority, status, "
                    "reviewers_needed, strategy, selected, created_at, due_at) "
                    "SELECT 'rev_' || i, "
                    f"'mod_' || i, 'first', '{QUEUE}', 'normal', 'open', 1, 'majority', '[]', "
                    f"{at}, "
                    f"{at} + interval '4 hours' {series}"
                ),
                {"count": count},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO review_tasks (id, review_id, moderation_id, queue, status, "
                    "sort_key, available_at, attempts, created_at) "
                    "SELECT 'tsk_' || i, 'rev_' || i, 'mod_' || i, "
                    f"'{QUEUE}', 'pending', {head}, {at}, 0, {at} {series}"
                ),
                {"count": count},
            )
        else:
            _fill_sqlite(connection, count)
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # Settle the fresh tables the way autovacuum would, so it does not run mid-measure.
            connection.execute(sa.text("VACUUM ANALYZE"))


def _fill_sqlite(connection: sa.Connection, count: int) -> None:
    at = _sqlite_time("i")
    head = _sqlite_time("i + 10800000 - (i % 4) * 3600000")  # shifted so it stays >= base
    for table, columns, values in (
        (
            "moderations",
            "id, media_id, sha256, kind, status, context, action, decision, created_at, updated_at",
            f"'mod_' || i, 'med_bench', 'x', 'image', 'completed', '{{}}', 'review', "
            f"'{{\"matched\": []}}', {at}, {at}",
        ),
        (
            "reviews",
            "id, moderation_id, kind, queue, priority, status, reviewers_needed, "
            "strategy, selected, created_at, due_at",
            f"'rev_' || i, 'mod_' || i, 'first', '{QUEUE}', 'normal', 'open', 1, 'majority', "
            f"'[]', {at}, {at}",
        ),
        (
            "review_tasks",
            "id, review_id, moderation_id, queue, status, sort_key, "
            "available_at, attempts, created_at",
            f"'tsk_' || i, 'rev_' || i, 'mod_' || i, '{QUEUE}', 'pending', {head}, {at}, 0, {at}",
        ),
    ):
        connection.execute(
            sa.text(SQLITE_FILL.format(table=table, columns=columns, values=values)),
            {"count": count},
        )
    connection.execute(sa.text("ANALYZE"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def latency(engine: sa.Engine, claims: int) -> dict[str, float]:
    store = SqlReviewStore(session_factory(engine))
    now = BASE + dt.timedelta(days=365)
    scope = QueueScope(frozenset({QUEUE}))
    timings = []
    with engine.connect() as connection:
        for index in range(-WARMUP, claims):
            started = time.perf_counter()
            claim = store.claim_next(f"usr_{index % 50}", scope, now, 300)
            if index >= 0:
                timings.append((time.perf_counter() - started) * 1000)
            assert claim is not None
            connection.execute(
                sa.text("UPDATE review_tasks SET status = 'done' WHERE id = :id"),
                {"id": claim.task_id},
            )
            connection.commit()
    return {
        "p50": statistics.median(timings),
        "p99": percentile(timings, 0.99),
        "max": max(timings),
    }


def throughput(engine: sa.Engine, threads: int, seconds: float) -> dict[str, float]:
    now = BASE + dt.timedelta(days=365)
    service = ReviewService(session_factory(engine), ReviewSettings(), lambda: now)
    done = [0] * threads
    stop = time.monotonic() + seconds
    errors: list[BaseException] = []

    def reviewer(index: int) -> None:
        person = Reviewer(f"usr_t{index}", f"t{index}", (QUEUE,))
        try:
            while time.monotonic() < stop:
                claim = service.claim_next(person)
                if claim is None:
                    return
                service.submit_verdict(claim.task_id, person, VerdictInput("block"))
                done[index] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=reviewer, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    if errors:
        raise errors[0]
    return {"reviews": sum(done), "per_second": sum(done) / elapsed}


def run(name: str, url: str, args: argparse.Namespace) -> None:
    pool = {"pool_size": args.threads + 5} if name == "postgresql" else {}
    engine = make_engine(url, **pool)
    upgrade(url, engine)
    started = time.perf_counter()
    fill(engine, args.tasks)
    filled = time.perf_counter() - started
    lat = latency(engine, args.claims)
    thr = throughput(engine, args.threads, args.seconds)
    engine.dispose()
    print(
        f"{name:<10} filled {args.tasks:,} tasks in {filled:6.1f} s | claim_next p50 "
        f"{lat['p50']:6.2f} ms  p99 {lat['p99']:6.2f} ms  max {lat['max']:7.2f} ms "
        f"(target p99 <= 20 ms: {'met' if lat['p99'] <= 20 else 'MISSED'}) | "
        f"{args.threads} reviewers: {thr['per_second']:7.1f} reviews/s "
        f"({thr['reviews']:,} in {args.seconds:.0f} s)"
    )
    results[name] = {**lat, **thr}


results: dict[str, dict[str, float]] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=2000, help="claims timed for latency")
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory() as folder:
        if "sqlite" in backends:
            run("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}", args)
        if "postgresql" in backends:
            name = f"modgate_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            try:
                run(
                    "postgresql",
                    sa.engine.make_url(POSTGRES_ADMIN)
                    .set(database=name)
                    .render_as_string(hide_password=False),
                    args,
                )
            finally:
                with admin.connect() as connection:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    if len(results) == 2:
        sqlite, postgres = results["sqlite"], results["postgresql"]
        print(
            f"ratios postgresql/sqlite: p99 latency {postgres['p99'] / sqlite['p99']:.2f}x, "
            f"throughput {postgres['per_second'] / sqlite['per_second']:.2f}x"
        )


if __name__ == "__main__":
    main()
