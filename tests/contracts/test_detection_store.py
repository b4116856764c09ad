"""Stored detections: what a detector set found in some bytes comes back as the same typed
detections, and a second store of the same bytes by the same detectors keeps the first. Every
test runs against the in-memory double, SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modgate.db import make_engine, session_factory, upgrade
from modgate.db.base import transaction
from modgate.detection.store import DetectionStore, InMemoryDetectionStore, SqlDetectionStore
from modgate.taxonomy.detections import (
    ContentType,
    ImageDetections,
    Label,
    TextLine,
    Timeline,
    TimelineEntry,
    Unchecked,
)

SHA = "a" * 64
IMAGE = ImageDetections(
    labels=(Label("Explicit", 93.5, "", 1), Label("Explicit Nudity", 91.0, "Explicit", 2)),
    content_types=(ContentType("Animated", 80.0),),
    text=(TextLine("buy now", 99.0),),
    model_version="7.0+fusion1:marker-1",
)
VIDEO = Timeline(
    entries=(
        TimelineEntry(0, 1000, Label("Violence", 71.0, "", 1)),
        TimelineEntry(2000, None, Label("Violence", 88.0, "", 1)),
    ),
    model_version="7.0+fusion1:marker-1",
    thumbnails={2000: "thumbs/b"},
    unchecked=Unchecked(500, 2, "2 damaged packets"),
)


@dataclass
class Harness:
    store: DetectionStore
    session: Callable[[], contextlib.AbstractContextManager[Any]]


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "memory":
        yield Harness(InMemoryDetectionStore(), contextlib.nullcontext)
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'detections.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    engine = make_engine(url)
    upgrade(url, engine)
    sessions = session_factory(engine)
    try:
        yield Harness(SqlDetectionStore(), lambda: transaction(sessions))
    finally:
        engine.dispose()


@pytest.mark.parametrize("detections", [IMAGE, VIDEO], ids=["image", "video"])
def test_stored_detections_come_back_as_they_were(harness: Harness, detections: Any) -> None:
    with harness.session() as session:
        harness.store.add(session, SHA, detections)
    with harness.session() as session:
        assert harness.store.get(session, SHA, detections.model_version) == detections
        assert harness.store.get(session, SHA, "another-detector-set") is None
        assert harness.store.get(session, "b" * 64, detections.model_version) is None


def test_the_same_bytes_by_the_same_detectors_keep_the_first_detections(
    harness: Harness,
) -> None:
    later = ImageDetections(
        labels=(Label("Violence", 60.0, "", 1),), model_version=IMAGE.model_version
    )
    with harness.session() as session:
        harness.store.add(session, SHA, IMAGE)
    with harness.session() as session:
        harness.store.add(session, SHA, later)
    with harness.session() as session:
        assert harness.store.get(session, SHA, IMAGE.model_version) == IMAGE


def test_many_items_detections_are_read_at_once(harness: Harness) -> None:
    with harness.session() as session:
        harness.store.add(session, SHA, IMAGE)
        harness.store.add(session, "b" * 64, VIDEO)
    wanted = [
        (SHA, IMAGE.model_version),
        ("b" * 64, VIDEO.model_version),
        (SHA, "another-detector-set"),
        ("c" * 64, IMAGE.model_version),
        (SHA, IMAGE.model_version),
    ]
    with harness.session() as session:
        found = harness.store.get_many(session, wanted)
        assert harness.store.get_many(session, []) == {}
    assert found == {(SHA, IMAGE.model_version): IMAGE, ("b" * 64, VIDEO.model_version): VIDEO}
