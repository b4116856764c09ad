"""Policy engine figures: evaluations per second on one core, and backtest time over stored
detections on SQLite.

    .venv/bin/python benchmarks/bench_policy.py [--evaluations 200000] [--rows 1000000]

Targets: >= 100,000 evaluations/s for the seed policy; backtest of 1,000,000 stored detections
in <= 60 s. The history database is generated once into --db (default /tmp) and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import time
from pathlib import Path

from modgate.policy import Context, evaluate, load_policy
from modgate.policy.cases import expand_labels
from modgate.taxonomy import taxonomy_v7
from modgate.taxonomy.rekognition_json import image_from_body, label_to_json

ROOT = Path(__file__).resolve().parents[1]


def realistic_detections(rng: random.Random, count: int) -> list[dict[str, object]]:
    """Most uploads are clean; the rest carry one to three label lineages."""
    leaves = [label.name for label in taxonomy_v7() if not taxonomy_v7().children(label.name)]
    out = []
    for _ in range(count):
        if rng.random() < 0.6:
            out.append({"ModerationLabels": [], "ModerationModelVersion": "7.0"})
            continue
        picks = {
            rng.choice(leaves): round(rng.uniform(50, 100), 2)
            for _ in range(rng.choice((1, 1, 2, 3)))
        }
        labels = [label_to_json(label) for label in expand_labels(picks)]
        out.append({"ModerationLabels": labels, "ModerationModelVersion": "7.0"})
    return out


def bench_evaluate(count: int, flagged_only: bool = False) -> float:
    policy = load_policy(ROOT / "policies" / "seed.yaml")
    rng = random.Random(7)
    detections = realistic_detections(rng, 12000)
    if flagged_only:
        detections = [d for d in detections if d["ModerationLabels"]]
    # Parsed once, as the pipeline hands the engine typed detections.
    typed = [image_from_body(item) for item in detections[:5000]]
    contexts = [
        Context.from_dict({"region": r, "surface": s, "audience": a})
        for r in ("DE", "US", "FR")
        for s in ("social", "kids")
        for a in ("13-17", "18+")
    ]
    for item in typed[:1000]:
        evaluate(policy, item, contexts[0])
    start = time.perf_counter()
    for n in range(count):
        evaluate(policy, typed[n % len(typed)], contexts[n % len(contexts)])
    elapsed = time.perf_counter() - start
    return count / elapsed


def build_history(path: Path, rows: int) -> None:
    from modgate.db import upgrade

    if path.exists():
        path.unlink()
    upgrade(f"sqlite:///{path}")
    rng = random.Random(11)
    pool = [json.dumps(item["ModerationLabels"]) for item in realistic_detections(rng, 20000)]
    contexts = [
        json.dumps({"region": r, "audience": a, "user_state": u})
        for r in ("DE", "US", "FR", "SA")
        for a in ("13-17", "18+")
        for u in ("new", "trusted")
    ]
    verdicts = [None] * 8 + [
        json.dumps({"action": "block", "labels": {"Explicit": True}}),
        json.dumps({"action": "allow", "labels": {"Violence": False}}),
    ]
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA foreign_keys=OFF")
    batch = []
    for n in range(rows):
        created = (start + dt.timedelta(seconds=2 * n)).isoformat(sep=" ")
        batch.append(
            (
                f"mod_{n:012d}",
                "med_x",
                f"{n:064d}",
                "image",
                "done",
                "social",
                rng.choice(contexts),
                pool[n % len(pool)],
                "allow",
                None,
                "old",
                rng.choice(verdicts),
                created,
                created,
            )
        )
        if len(batch) == 50_000:
            _insert(connection, batch)
            batch = []
    _insert(connection, batch)
    connection.commit()
    connection.close()


def _insert(connection: sqlite3.Connection, batch: list[tuple[object, ...]]) -> None:
    connection.executemany(
        "INSERT INTO moderations (id, media_id, sha256, kind, status, surface, context, labels,"
        " action, rule_id, policy_version, verdict, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        batch,
    )


def bench_backtest(path: Path, rows: int) -> tuple[float, int]:
    from modgate.db import make_engine, session_factory
    from modgate.policy.backtest import run_backtest
    from modgate.policy.history import iter_history

    candidate = load_policy(ROOT / "policies" / "marketplace.yaml")
    active = load_policy(ROOT / "policies" / "seed.yaml")
    engine = make_engine(f"sqlite:///{path}")
    start = time.perf_counter()
    report = run_backtest(candidate, iter_history(session_factory(engine)), active)
    elapsed = time.perf_counter() - start
    engine.dispose()
    assert report.total == rows, report.total
    return elapsed, report.total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--evaluations", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/modgate_bench_policy.db"))
    args = parser.parse_args()
    rate = bench_evaluate(args.evaluations)
    print(
        f"evaluate (seed policy, realistic detections): {rate:,.0f} evaluations/s on one core "
        f"(target 100,000/s, ratio {rate / 100_000:.2f})"
    )
    flagged = bench_evaluate(args.evaluations, flagged_only=True)
    print(
        f"evaluate (seed policy, flagged items only, 3-9 labels each): {flagged:,.0f} "
        f"evaluations/s (ratio {flagged / 100_000:.2f})"
    )
    if args.rows:
        started = time.perf_counter()
        build_history(args.db, args.rows)
        print(
            f"built a history of {args.rows:,} moderations in {time.perf_counter() - started:.1f} s"
        )
        elapsed, total = bench_backtest(args.db, args.rows)
        scaled = elapsed * 1_000_000 / total
        print(
            f"backtest over {total:,} stored detections on SQLite: {elapsed:.1f} s "
            f"({total / elapsed:,.0f} items/s; {scaled:.1f} s per million, target 60 s, "
            f"ratio {60 / scaled:.2f})"
        )


if __name__ == "__main__":
    main()
