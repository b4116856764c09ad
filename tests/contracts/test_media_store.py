"""The contract every MediaStore passes (in memory, SQLite, PostgreSQL): a medium is recorded
once per content hash and tenant, the first record of the same bytes is the one kept, and
records are found again by id and by hash with every fact intake learned; another tenant's
record is never found, and the same bytes make each tenant its own record."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from contract_databases import Database

from modgate.media.models import MediaInfo
from modgate.media.store import InMemoryMediaStore, MediaRecord, MediaStore, SqlMediaStore

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@dataclass
class Harness:
    store: MediaStore
    session: Callable[[], contextlib.AbstractContextManager[Any]]


@pytest.fixture
def harness(database: Database | None) -> Harness:
    if database is None:
        return Harness(InMemoryMediaStore(), contextlib.nullcontext)
    return Harness(SqlMediaStore(database.sessions), database.transaction)


def image(media_id: str, sha256: str, frames: int | None = None) -> MediaRecord:
    info = MediaInfo(
        kind="image",
        format="GIF" if frames else "PNG",
        mime="image/gif" if frames else "image/png",
        size_bytes=2048,
        sha256=sha256,
        width=640,
        height=480,
        frame_count=frames,
        animated=bool(frames and frames > 1),
    )
    return MediaRecord(media_id, info, f"media/{sha256[:2]}/{sha256}", None, None, START)


def video(media_id: str, sha256: str) -> MediaRecord:
    info = MediaInfo(
        kind="video",
        format="MP4",
        mime="video/mp4",
        size_bytes=9_000_000,
        sha256=sha256,
        width=1280,
        height=720,
        frame_count=750,
        duration_seconds=30.0,
        codec="h264",
        frame_rate=25.0,
    )
    return MediaRecord(
        media_id,
        info,
        f"media/{sha256[:2]}/{sha256}.mp4",
        f"previews/{media_id}.jpg",
        f"previews/{media_id}-blurred.jpg",
        START,
    )


def test_a_new_medium_is_recorded_and_found_by_id_and_by_hash(harness: Harness) -> None:
    records = [
        image("med_1", "a" * 64),
        image("med_2", "b" * 64, frames=12),
        video("med_3", "c" * 64),
    ]
    for record in records:
        assert harness.store.add(record) == (record, True)
    for record in records:
        assert harness.store.get(record.id) == record
        assert harness.store.get_by_sha256(record.info.sha256, "default") == record
    assert harness.store.get("med_missing") is None
    assert harness.store.get_by_sha256("0" * 64, "default") is None


def test_the_same_bytes_keep_their_first_record(harness: Harness) -> None:
    first = image("med_1", "a" * 64)
    assert harness.store.add(first) == (first, True)
    kept, created = harness.store.add(image("med_2", "a" * 64, frames=3))
    assert not created and kept == first
    assert harness.store.get("med_2") is None
    assert harness.store.get_by_sha256("a" * 64, "default") == first


def test_a_record_written_in_the_callers_transaction_yields_to_one_written_first(
    harness: Harness,
) -> None:
    """Two uploads of the same new bytes both found no record; the second to write its own
    gets the first one's back, and nothing fails."""
    first, second = video("med_1", "c" * 64), video("med_2", "c" * 64)
    with harness.session() as session:
        assert harness.store.add_in(session, first) == (first, True)
    with harness.session() as session:
        kept, created = harness.store.add_in(session, second)
    assert not created and kept == first
    assert harness.store.get("med_2") is None


def test_each_tenant_has_its_own_record_of_the_same_bytes(harness: Harness) -> None:
    acme = image("med_1", "a" * 64)
    globex = replace(image("med_2", "a" * 64), tenant="globex")
    assert harness.store.add(acme) == (acme, True)
    assert harness.store.add(globex) == (globex, True)
    assert harness.store.get_by_sha256("a" * 64, "globex") == globex
    assert harness.store.get_by_sha256("a" * 64, "default") == acme
    assert harness.store.get("med_2", "default") is None
    assert harness.store.get("med_2", "globex") == globex
    assert harness.store.get("med_2") == globex
