"""What threshold tuning costs: the curves alone, and ``GET /v1/metrics/tuning``'s work (reading
a month's checked decisions and the traffic histogram, then the curves and recommendations) on
``bench_metrics``'s history, on SQLite and on PostgreSQL.

Prints figures; asserts nothing::

    python benchmarks/bench_tuning.py                          # 1,000,000 decisions, both databases
    python benchmarks/bench_tuning.py --decisions 200000 --skip-postgres

1. Curves: ``modgate.policy.tuning.curves`` over ``--examples`` synthetic checked decisions
   (six categories, two of them named by each, twenty sampling strata) and the recommendations
   for the seed policy. Target ≤ 1 s for 100,000 checked decisions.
2. The service: ``MetricsService.tuning`` of the seed policy over ``bench_metrics``'s month (5 %
   routed reviews, with their verdicts on the moderations; 1 % blind checks). Target ≤ 2 s for
   1,000,000 decisions (50,000 routed reviews, 10,000 blind checks).
"""

from __future__ import annotations

import argparse
import random
import sys
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_metrics import MONTH, POSTGRES_ADMIN, START, TENANT, seed, timed  # noqa: E402

from modgate.db import session_factory  # noqa: E402
from modgate.metrics.service import MetricsService  # noqa: E402
from modgate.moderation.tables import ModerationRow  # noqa: E402
from modgate.policy import load_policy  # noqa: E402
from modgate.policy.tuning import LabelledExample, Targets, TuningQuery, curves  # noqa: E402
from modgate.policy.tuning_report import tune  # noqa: E402
from modgate.review.tables import ReviewRow  # noqa: E402

SEED = load_policy(Path(__file__).resolve().parents[1] / "policies" / "seed.yaml")
CATEGORIES = ("Explicit", "Violence", "Drugs & Tobacco", "Gambling", "Hate Symbols", "Alcohol")
TARGETS = Targets(precision=0.95, recall=0.8)


def synthetic(count: int) -> list[LabelledExample]:
    rng = random.Random(3)
    examples = []
    for _ in range(count):
        named = rng.sample(CATEGORIES, 2)
        confidences = {c: round(rng.uniform(0, 100), 1) for c in named}
        found = frozenset(c for c in named if rng.random() < confidences[c] / 110)
        stratum = "routed" if rng.random() < 0.5 else f"{named[0]}/{rng.choice((0, 50, 90))}"
        weight = 1.0 if stratum == "routed" else rng.choice((5.0, 20.0, 100.0))
        examples.append(LabelledExample(confidences, found, weight, stratum))
    return examples


def pure(count: int, rounds: int) -> None:
    examples = synthetic(count)

    def work() -> int:
        return len(tune(SEED, curves(examples, z=TARGETS.z), TARGETS).changes)

    best, median, tuned = timed(work, rounds)
    print(
        f"curves + recommendations, {count:,} checked decisions: best {best * 1000:6.0f} ms, "
        f"median {median * 1000:6.0f} ms ({tuned} categories tuned)  target <= 1000 ms"
    )


def service(name: str, url: str, decisions: int, rounds: int) -> None:
    engine, seconds = seed(url, decisions)
    print(f"{name:10}: {decisions:,} decisions written in {seconds:.0f} s")
    # The verdicts the review lane keeps on the moderations of decided reviews (what was found
    # is read from the checked decisions' categories bench_metrics writes).
    verdict = {"action": "block", "labels": {}, "missed": []}
    decided = sa.select(ReviewRow.moderation_id).where(ReviewRow.status == "decided")
    with engine.begin() as connection:
        connection.execute(
            sa.update(ModerationRow)
            .where(ModerationRow.action == "review", ModerationRow.id.in_(decided))
            .values(verdict=verdict)
        )
    metrics = MetricsService(session_factory(engine), lambda scope: [])
    query = TuningQuery(TENANT, START, START + MONTH)
    best, median, report = timed(lambda: metrics.tuning(SEED, query, TARGETS), rounds)
    print(
        f"{name:10} tuning of the month: best {best * 1000:6.0f} ms, median "
        f"{median * 1000:6.0f} ms ({report.examples:,} checked, {report.decisions:,} decisions)"
        "  target <= 2000 ms"
    )
    engine.dispose()


def postgres(decisions: int, rounds: int) -> None:
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    database = f"modgate_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    url = sa.engine.make_url(POSTGRES_ADMIN).set(database=database)
    try:
        service("postgresql", url.render_as_string(hide_password=False), decisions, rounds)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    pure(args.examples, args.rounds)
    with TemporaryDirectory() as folder:
        service("sqlite", f"sqlite:///{folder}/bench.db", args.decisions, args.rounds)
    if not args.skip_postgres:
        postgres(args.decisions, args.rounds)


if __name__ == "__main__":
    main()
