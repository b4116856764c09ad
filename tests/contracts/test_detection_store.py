"""The contract every DetectionStore passes (in memory, SQLite, PostgreSQL): detections are kept
by (content hash, detector-set version) and read back as they were stored, images and timelines
alike; the first detections stored for a key are the ones kept, so identical bytes are never
detected twice by the same detectors."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from contract_databases import Database

from modgate.taxonomy.detections import (
    ContentType,
    ImageDetections,
    Label,
    TextLine,
    Timeline,
    TimelineEntry,
    Unchecked,
)

stores = pytest.importorskip(
    "modgate.detection.store",
    reason="the detection store moves from modgate.pipeline.detections to "
    "modgate.detection.store (DetectionStore, SqlDetectionStore, InMemoryDetectionStore); "
    "this contract runs once it is there",
)

SHA = "a" * 64
EXPLICIT = Label("Explicit", 91.5, "Explicit Nudity", 2)
NUDITY = Label("Explicit Nudity", 91.5, "", 1)


@dataclass
class Harness:
    store: Any  # a modgate.detection.store.DetectionStore
    session: Callable[[], contextlib.AbstractContextManager[Any]]


@pytest.fixture
def harness(database: Database | None) -> Harness:
    if database is None:
        return Harness(stores.InMemoryDetectionStore(), contextlib.nullcontext)
    return Harness(stores.SqlDetectionStore(database.sessions), database.transaction)


def add(harness: Harness, sha256: str, detections: ImageDetections | Timeline) -> None:
    with harness.session() as session:
        harness.store.add(session, sha256, detections)


def image(*labels: Label, version: str = "builtin:1") -> ImageDetections:
    return ImageDetections(labels, (ContentType("Illustrated", 64.0),),
                           (TextLine("SALE", 97.0, "LINE", 0),), version)


def test_detections_are_read_back_by_hash_and_detector_version(harness: Harness) -> None:
    assert harness.store.get(SHA, "builtin:1") is None
    stored = image(NUDITY, EXPLICIT)
    add(harness, SHA, stored)
    assert harness.store.get(SHA, "builtin:1") == stored
    assert harness.store.get(SHA, "builtin:2") is None  # other detectors: detect again
    assert harness.store.get("b" * 64, "builtin:1") is None


def test_a_timeline_is_read_back_with_its_thumbnails_and_what_was_unchecked(
    harness: Harness,
) -> None:
    timeline = Timeline(
        (TimelineEntry(0, 500, NUDITY), TimelineEntry(0, 500, EXPLICIT),
         TimelineEntry(2000, None, Label("Alcohol", 66.0, "", 1))),
        "builtin:1",
        {0: "thumbnails/aa/0.jpg"},
        Unchecked(unseen_ms=1200, damaged_packets=3, reason="damaged frames"),
    )
    add(harness, SHA, timeline)
    assert harness.store.get(SHA, "builtin:1") == timeline


def test_the_first_detections_stored_for_a_key_are_kept(harness: Harness) -> None:
    """Two workers detecting the same bytes at once both store; neither fails, and readers
    see the first one's."""
    first = image(NUDITY)
    add(harness, SHA, first)
    add(harness, SHA, image(EXPLICIT))
    add(harness, SHA, image(EXPLICIT, version="builtin:2"))
    assert harness.store.get(SHA, "builtin:1") == first
    assert harness.store.get(SHA, "builtin:2") == image(EXPLICIT, version="builtin:2")
