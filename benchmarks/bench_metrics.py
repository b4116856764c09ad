"""What the operations metrics cost: ``/v1/metrics/summary`` over 1,000,000 decisions on SQLite
and on PostgreSQL, a ``/metrics`` scrape, and pipeline throughput with blind quality checks on.

Prints figures; asserts nothing::

    python benchmarks/bench_metrics.py                     # both databases, 1,000,000 decisions
    python benchmarks/bench_metrics.py --decisions 200000 --skip-postgres --skip-pipeline

1. Summary: one tenant's month of decisions (70 % allow, 20 % block, 5 % annotate, 5 % review),
   their categories (every block and review flagged one; a tenth of the allowed saw one), a
   decided review with a timed verdict for each review item (a thousand still pending), blind
   checks of 1 % of the automatic decisions, appeals and policy changes, with the facts the
   review lane writes beside them (verdict facts, checked decisions' categories). Timed: the whole
   month, one surface, one region (read from the moderations' JSON context), one day. Each
   query runs ``--rounds`` times; the best and the median are shown. Target ≤ 1 s.
2. Scrape: ``MetricsService.scrape()`` on that database — every process's sample files added up,
   queue gauges read from the database — as ``GET /metrics`` serves it. Target ≤ 100 ms.
3. Pipeline (needs the real detectors, as ``bench_pipeline.py``): images per second through
   ``modgate serve`` with every automatic decision drawn for a check (the worst case) beside
   the same with checks off. Target: ratio ≥ 0.9.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from modgate.db import make_engine, session_factory, upgrade  # noqa: E402
from modgate.db.base import table_of  # noqa: E402
from modgate.media.tables import MediaRow  # noqa: E402
from modgate.metrics.service import MetricsService  # noqa: E402
from modgate.metrics.summary import SummaryQuery  # noqa: E402
from modgate.moderation.tables import ModerationRow  # noqa: E402
from modgate.policy.tables import PolicyActivationRow, PolicyVersionRow  # noqa: E402
from modgate.quality.record import signature  # noqa: E402
from modgate.quality.tables import (  # noqa: E402
    CheckCategoryRow,
    DecisionCategoryRow,
    QualityDrawRow,
    VerdictFactRow,
)
from modgate.review.models import QueueScope  # noqa: E402
from modgate.review.settings import ReviewSettings  # noqa: E402
from modgate.review.store import SqlReviewStore  # noqa: E402
from modgate.review.tables import (  # noqa: E402
    AppealRow,
    ReviewRow,
    ReviewTaskRow,
    ReviewVerdictRow,
)
from modgate.telemetry import configure, instruments  # noqa: E402

TENANT = "bench"
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
MONTH = dt.timedelta(days=30)
SURFACES = ("feed", "chat", "profile", "ads", "kids")
REGIONS = ("DE", "FR", "US", "BR")
CATEGORIES = ("Explicit", "Violence", "Drugs & Tobacco", "Alcohol", "Hate Symbols")
BATCH = 20_000
POSTGRES_ADMIN = os.environ.get(
    "MODGATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _action(i: int) -> str:
    slot = i % 100
    return "allow" if slot < 70 else "block" if slot < 90 else "annotate" if slot < 95 else "review"


def _rows(n: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(table, rows) batches of the history."""
    step = MONTH / n
    moderations: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    draws: list[dict[str, Any]] = []
    appeals: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []

    def flush() -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for table, rows in (
            ("moderations", moderations),
            ("decision_categories", categories),
            ("reviews", reviews),
            ("review_tasks", tasks),
            ("review_verdicts", verdicts),
            ("quality_draws", draws),
            ("appeals", appeals),
            ("verdict_facts", facts),
            ("check_categories", checks),
        ):
            if rows:
                yield table, list(rows)
                rows.clear()

    for i in range(n):
        created = START + i * step
        action = _action(i)
        moderation_id = f"mod_{i:012d}"
        surface, region = SURFACES[i % 5], REGIONS[(i // 3) % 4]
        category = CATEGORIES[(i // 7) % 5]
        moderations.append(
            {
                "id": moderation_id,
                "tenant": TENANT,
                "media_id": "med_bench",
                "sha256": "0" * 64,
                "kind": "image",
                "status": "completed",
                "surface": surface,
                "context": {"region": region},
                "action": action,
                "decision": {"action": action},
                "final_action": None if action == "review" else action,
                "created_at": created,
                "updated_at": created,
                "decided_at": created,
            }
        )
        flagged = action in ("block", "review")
        if flagged or (action == "allow" and i % 10 == 0):
            categories.append(
                {
                    "moderation_id": moderation_id,
                    "category": category,
                    "tenant": TENANT,
                    "surface": surface,
                    "region": region,
                    "confidence": 95.0 if action == "block" else 70.0 if flagged else 30.0,
                    "flagged": flagged,
                    "created_at": created,
                }
            )
        drawn = action != "review" and i % 100 == 3
        if action == "review" or drawn:
            pending = action == "review" and i % 50 == 99 and len(reviews) % 50 == 0
            review_id, task_id = f"rev_{i:012d}", f"tsk_{i:012d}"
            claimed = created + dt.timedelta(minutes=30)
            given = claimed + dt.timedelta(seconds=20 + i % 300)
            right = i % 4 != 0
            outcome = (
                {"action": "allow", "labels": {}, "missed": []}
                if drawn
                else {
                    "action": "block" if right else "allow",
                    "labels": {"Explicit Nudity": right},
                    "missed": [],
                }
            )
            reviews.append(
                {
                    "id": review_id,
                    "moderation_id": moderation_id,
                    "kind": "qa" if drawn else "first",
                    "queue": "qa" if drawn else category.lower(),
                    "priority": "normal",
                    "status": "open" if pending else "decided",
                    "reviewers_needed": 1,
                    "strategy": "majority",
                    "selected": [],
                    "outcome": None if pending else outcome,
                    "created_at": created,
                    "due_at": created + dt.timedelta(hours=4),
                    "completed_at": None if pending else given,
                }
            )
            tasks.append(
                {
                    "id": task_id,
                    "review_id": review_id,
                    "moderation_id": moderation_id,
                    "queue": "qa" if drawn else category.lower(),
                    "status": "pending" if pending else "done",
                    "sort_key": created,
                    "available_at": created,
                    "claimed_by": None if pending else "usr_bench",
                    "claimed_at": None if pending else claimed,
                    "attempts": 0 if pending else 1,
                    "created_at": created,
                    "completed_at": None if pending else given,
                }
            )
            if not pending:
                facts.append(
                    {
                        "verdict_id": f"vrd_{i:012d}",
                        "review_id": review_id,
                        "moderation_id": moderation_id,
                        "tenant": TENANT,
                        "surface": surface,
                        "region": region,
                        "queue": "qa" if drawn else category.lower(),
                        "kind": "qa" if drawn else "first",
                        "seconds": (given - claimed).total_seconds(),
                        "disagrees": outcome["action"] != action if drawn else not right,
                        "signature": signature(outcome["action"], outcome["labels"], []),
                        "created_at": given,
                    }
                )
                if not drawn or action == "block":
                    checks.append(
                        {
                            "moderation_id": moderation_id,
                            "category": category,
                            "tenant": TENANT,
                            "surface": surface,
                            "region": region,
                            "weight": 100.0 if drawn else 1.0,
                            "stratum": f"{category}/50" if drawn else "routed",
                            "flagged": True,
                            "found": right and not drawn,
                            "created_at": created,
                        }
                    )
                verdicts.append(
                    {
                        "id": f"vrd_{i:012d}",
                        "task_id": task_id,
                        "review_id": review_id,
                        "moderation_id": moderation_id,
                        "reviewer_id": f"usr_{i % 40}",
                        "action": outcome["action"],
                        "labels": outcome["labels"],
                        "missed": [],
                        "note": "",
                        "seconds_spent": 0.0,
                        "created_at": given,
                    }
                )
            if drawn:
                draws.append(
                    {
                        "moderation_id": moderation_id,
                        "review_id": review_id,
                        "tenant": TENANT,
                        "action": action,
                        "category": category,
                        "bin": "50",
                        "probability": 0.01,
                        "flagged": [category] if action == "block" else [],
                        "created_at": created,
                    }
                )
        if action == "block" and i % 500 == 1:
            appeals.append(
                {
                    "id": f"apl_{i:012d}",
                    "moderation_id": moderation_id,
                    "review_id": f"rev_a{i:012d}",
                    "statement": "no",
                    "status": "resolved",
                    "outcome": "overturned" if i % 3 else "upheld",
                    "created_at": created,
                    "resolved_at": created + dt.timedelta(hours=2),
                }
            )
        if len(moderations) >= BATCH:
            yield from flush()
    yield from flush()


TABLES = {
    "moderations": ModerationRow,
    "decision_categories": DecisionCategoryRow,
    "reviews": ReviewRow,
    "review_tasks": ReviewTaskRow,
    "review_verdicts": ReviewVerdictRow,
    "quality_draws": QualityDrawRow,
    "appeals": AppealRow,
    "verdict_facts": VerdictFactRow,
    "check_categories": CheckCategoryRow,
}


def seed(url: str, n: int) -> tuple[sa.Engine, float]:
    engine = make_engine(url)
    upgrade(url, engine)
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(table_of(MediaRow)),
            {
                "id": "med_bench",
                "sha256": "0" * 64,
                "kind": "image",
                "format": "JPEG",
                "mime": "image/jpeg",
                "size_bytes": 1,
                "blob_key": "none",
            },
        )
        for surface_index in range(20):
            version = uuid.uuid4().hex
            when = START + dt.timedelta(days=surface_index)
            connection.execute(
                sa.insert(table_of(PolicyVersionRow)),
                {"version": version, "name": "p", "source": "", "author": "a", "created_at": when},
            )
            connection.execute(
                sa.insert(table_of(PolicyActivationRow)),
                {
                    "id": f"act_{surface_index}",
                    "surface": SURFACES[surface_index % 5],
                    "version": version,
                    "mode": "active",
                    "actor": "a",
                    "note": "",
                    "activated_at": when,
                    "deactivated_at": when + dt.timedelta(hours=1),
                },
            )
    for name, rows in _rows(n):
        with engine.begin() as connection:
            connection.execute(sa.insert(table_of(TABLES[name])), rows)
    # As autovacuum leaves a table after a bulk load: statistics, and on PostgreSQL a visibility
    # map, without which an index-only scan still visits every row.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(
            "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        )
    return engine, time.perf_counter() - started


def timed(work: Callable[[], Any], rounds: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def summaries(name: str, engine: sa.Engine, rounds: int, n: int) -> None:
    sessions = session_factory(engine)
    store = SqlReviewStore(sessions)
    settings = ReviewSettings()

    def queue_stats(scope: QueueScope) -> Any:
        return store.queue_stats(scope, START + MONTH, settings.sla_for)

    service = MetricsService(sessions, queue_stats, clock=lambda: START + MONTH)
    cases = {
        "the month": SummaryQuery(TENANT, START, START + MONTH),
        "one surface": SummaryQuery(TENANT, START, START + MONTH, surface="chat"),
        "one region (JSON)": SummaryQuery(TENANT, START, START + MONTH, region="FR"),
        "one day": SummaryQuery(
            TENANT, START + dt.timedelta(days=10), START + dt.timedelta(days=11)
        ),
    }
    for label, query in cases.items():
        best, median, found = timed(lambda query=query: service.summary(query), rounds)
        print(
            f"{name:10} summary, {label:18}: best {best * 1000:7.0f} ms, median "
            f"{median * 1000:7.0f} ms (total {found['total']:,}, timed reviews "
            f"{found['reviews_timed']:,})  target <= 1000 ms"
        )
    best, median, text = timed(service.scrape, max(rounds, 20))
    print(
        f"{name:10} scrape /metrics          : best {best * 1000:7.1f} ms, median "
        f"{median * 1000:7.1f} ms ({len(text):,} bytes)  target <= 100 ms"
    )


def _postgres(n: int, rounds: int) -> None:
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    database = f"modgate_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    url = sa.engine.make_url(POSTGRES_ADMIN).set(database=database)
    try:
        engine, seconds = seed(url.render_as_string(hide_password=False), n)
        print(f"postgresql: {n:,} decisions written in {seconds:.0f} s")
        summaries("postgresql", engine, rounds, n)
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def pipeline_ratio(images: int, clients: int, rounds: int, work: Path) -> None:
    import bench_pipeline
    from bench_detection import test_jpegs

    jpegs = test_jpegs(images)
    ratios = []
    for number in range(1, rounds + 1):
        bench_pipeline.EXTRA_ENV = {}
        off = bench_pipeline.through_api(jpegs, work / f"off{number}", clients)[0]
        bench_pipeline.EXTRA_ENV = {"MODGATE_REVIEW__QA_RATES": '{"none": 1.0, "0": 1.0}'}
        on = bench_pipeline.through_api(jpegs, work / f"on{number}", clients)[0]
        ratios.append(on / off)
        print(
            f"round {number}: checks off {off:6.2f} images/s | every automatic decision "
            f"checked {on:6.2f} images/s | ratio {on / off:.3f}"
        )
    print(f"pipeline with quality checks on / off: {statistics.median(ratios):.3f} (target >= 0.9)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="modgate-bench-metrics-"))
    # Sample files as a deployment has them: some counted in this process.
    configure(work / "prometheus")
    meters = instruments()
    for action in ("allow", "block", "review", "annotate"):
        for surface in SURFACES:
            meters.moderations.labels(action, surface).inc(1000)
    for _ in range(1000):
        meters.detection_seconds.observe(0.05)
        meters.decision_seconds.observe(0.2)
    if not args.skip_sqlite:
        url = f"sqlite:///{work / 'bench.db'}"
        engine, seconds = seed(url, args.decisions)
        print(f"sqlite    : {args.decisions:,} decisions written in {seconds:.0f} s")
        summaries("sqlite", engine, args.rounds, args.decisions)
        engine.dispose()
    if not args.skip_postgres:
        _postgres(args.decisions, args.rounds)
    if not args.skip_pipeline:
        pipeline_ratio(args.images, args.clients, 3, work)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
