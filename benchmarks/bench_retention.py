"""What retention costs: media records whose bytes are deleted per second by
``RetentionService.run`` (each: the due query, the blob deletions on a local folder, the
stamps and the audit entry in one transaction), and how long finding nothing due takes over
the same table, on SQLite (and PostgreSQL with --postgres URL).

    .venv/bin/python benchmarks/bench_retention.py                  # 2,000 items on SQLite
    .venv/bin/python benchmarks/bench_retention.py --items 5000 \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/bench_retention

Every item is a stored image with both previews and a thumbnail, whose moderation was decided
40 days ago; the tenant keeps originals 30 days, previews and thumbnails 35. A second run finds
nothing due (the figure to watch when nothing is: it runs every hour in each worker).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from modgate.db.base import new_id, table_of, transaction
from modgate.media.service import preview_keys
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationExtraRow, ModerationRow
from modgate.services import Services
from modgate.settings import load_settings

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def build(services: Services, items: int) -> None:
    blobs = services.blobs
    media, moderations, extras = [], [], []
    for index in range(items):
        sha = f"{index:064x}"
        media_id, moderation_id = new_id("med"), new_id("mod")
        blob = f"media/{sha[:2]}/{sha}.png"
        thumbnail = f"thumbnails/{sha[:2]}/{sha}/1000.jpg"
        for key in (blob, thumbnail, *preview_keys(sha, "shop")):
            blobs.put_bytes(key, b"x" * 2048)
        media.append(
            dict(
                id=media_id,
                tenant="shop",
                sha256=sha,
                kind="image",
                format="PNG",
                mime="image/png",
                size_bytes=2048,
                blob_key=blob,
                created_at=NOW,
            )
        )
        moderations.append(
            dict(
                id=moderation_id,
                tenant="shop",
                media_id=media_id,
                sha256=sha,
                kind="image",
                status="completed",
                context={},
                action="allow",
                final_action="allow",
                created_at=NOW - dt.timedelta(days=41),
                updated_at=NOW,
                decided_at=NOW - dt.timedelta(days=40),
            )
        )
        extras.append(
            dict(moderation_id=moderation_id, client_metadata={}, thumbnails={"1000": thumbnail})
        )
    with transaction(services.sessions) as session:
        session.execute(insert(table_of(MediaRow)), media)
        session.execute(insert(table_of(ModerationRow)), moderations)
        session.execute(insert(table_of(ModerationExtraRow)), extras)


def measure(url: str | None, items: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        overrides = {"database_url": url} if url else {}
        settings = load_settings(
            data_dir=Path(folder), detection={"enabled": ["marker"]}, **overrides
        )
        services = Services.build(settings, role="cli")
        try:
            build(services, items)
            services.retention.set(
                "shop",
                originals_days=30,
                previews_days=35,
                thumbnails_days=35,
                actor="system:bench",
            )
            started = time.perf_counter()
            result = services.retention.run(NOW)
            seconds = time.perf_counter() - started
            deletions = sum(result.deleted.values())
            started = time.perf_counter()
            again = services.retention.run(NOW)
            idle = time.perf_counter() - started
            assert not any(again.deleted.values())
        finally:
            services.close()
    kind = "PostgreSQL" if url else "SQLite"
    print(
        f"{kind:<10} {items} items: {deletions} deletions (3 kinds) in {seconds:.1f} s = "
        f"{deletions / seconds:,.0f} deletions/s; nothing due: {idle * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--postgres", help="a PostgreSQL URL of an empty database")
    args = parser.parse_args()
    measure(None, args.items)
    if args.postgres:
        measure(args.postgres, args.items)


if __name__ == "__main__":
    main()
