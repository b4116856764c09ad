"""Prometheus instruments of every modgate process, in ``prometheus_client``'s multiprocess mode.

API processes, embedded workers and Celery workers each write their samples to files in one
folder (``configure``, called by the composition root before the first sample); whichever
process serves ``/metrics`` adds them up (``exposition``). Instruments are built on first use,
after ``configure`` chose how values are kept.

Label values are bounded: ``action`` and ``outcome`` come from fixed lists, ``surface`` is the
policy surface that decided (one of the surfaces an administrator activated a policy for, or
the default one), never a client's free text.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.orm import Session

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Detection runs for milliseconds on an image and minutes on a long video; a decision is
# detection plus the wait in the queue; human review takes minutes to days.
DETECTION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
DECISION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600)
REVIEW_BUCKETS = (
    60,
    5 * 60,
    15 * 60,
    3600,
    4 * 3600,
    12 * 3600,
    86400,
    2 * 86400,
    3 * 86400,
    7 * 86400,
    14 * 86400,
)
HANDLING_BUCKETS = (5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600)


@dataclass(frozen=True)
class Instruments:
    moderations: Counter
    reviews: Counter
    appeals: Counter
    detection_seconds: Histogram
    decision_seconds: Histogram
    review_seconds: Histogram
    handling_seconds: Histogram
    stream_samples: Counter
    stream_skipped_seconds: Counter
    stream_events: Counter


_lock = threading.Lock()
_instruments: Instruments | None = None


def configure(directory: Path) -> Path:
    """Keep this process's samples in ``directory`` (shared by every process of the
    deployment), unless ``PROMETHEUS_MULTIPROC_DIR`` already names one; the folder in use.
    Later calls only return the folder in use."""
    with _lock:
        current = os.environ.get(MULTIPROC_ENV)
        if current:
            folder = Path(current)
        else:
            folder = directory
            os.environ[MULTIPROC_ENV] = str(folder)
        folder.mkdir(parents=True, exist_ok=True)
        global _instruments
        if values.ValueClass is values.MutexValue:
            values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
            _instruments = None  # any built before counted in memory only: build them again
        return folder


def instruments() -> Instruments:
    """The process's instruments, built on first use (not registered globally: the scrape
    reads every process's files instead)."""
    global _instruments
    with _lock:
        if _instruments is None:
            registry = None  # multiprocess values live in files, not in a registry
            _instruments = Instruments(
                moderations=Counter(
                    "modgate_moderations",
                    "Moderations decided, by the machine's action and the policy surface.",
                    ["action", "surface"],
                    registry=registry,
                ),
                reviews=Counter(
                    "modgate_reviews",
                    "Reviews finished, by outcome (the action decided, or escalated).",
                    ["outcome"],
                    registry=registry,
                ),
                appeals=Counter(
                    "modgate_appeals",
                    "Appeals resolved, by outcome (upheld or overturned).",
                    ["outcome"],
                    registry=registry,
                ),
                detection_seconds=Histogram(
                    "modgate_detection_seconds",
                    "Time detection took on one item.",
                    buckets=DETECTION_BUCKETS,
                    registry=registry,
                ),
                decision_seconds=Histogram(
                    "modgate_decision_seconds",
                    "From a moderation's submission to its machine decision.",
                    buckets=DECISION_BUCKETS,
                    registry=registry,
                ),
                review_seconds=Histogram(
                    "modgate_review_seconds",
                    "From a review's opening (the item queued) to its outcome.",
                    buckets=REVIEW_BUCKETS,
                    registry=registry,
                ),
                handling_seconds=Histogram(
                    "modgate_review_handling_seconds",
                    "From a reviewer's claim to their verdict, measured by the server.",
                    buckets=HANDLING_BUCKETS,
                    registry=registry,
                ),
                stream_samples=Counter(
                    "modgate_stream_samples",
                    "Samples of live streams detected, decided and committed.",
                    registry=registry,
                ),
                stream_skipped_seconds=Counter(
                    "modgate_stream_skipped_seconds",
                    "Stream time skipped to catch up with the live edge (a worker behind, a "
                    "source back after an outage, a takeover).",
                    registry=registry,
                ),
                stream_events=Counter(
                    "modgate_stream_events",
                    "Events of live streams, by name (segment started or ended, action).",
                    ["event"],
                    registry=registry,
                ),
            )
        return _instruments


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's transaction commits (never on a rollback), so a
    counter moves only for what was kept. Registered inside a SAVEPOINT, it is dropped when
    that savepoint is rolled back; another savepoint's rollback leaves it be."""

    settled = False
    owner = session.get_nested_transaction()  # None: the transaction itself

    def _committed(_session: Session) -> None:
        nonlocal settled
        if not settled:
            settled = True
            action()
        event.remove(session, "after_soft_rollback", _rolled_back)

    def _rolled_back(_session: Session, previous: Any) -> None:
        nonlocal settled
        if not previous.nested or previous is owner:
            settled = True

    event.listen(session, "after_commit", _committed, once=True)
    event.listen(session, "after_soft_rollback", _rolled_back)


def scrape_registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """A registry that reads every process's samples, added up, at each collection, plus
    ``extra`` collectors (gauges read at scrape time)."""
    registry = CollectorRegistry()
    folder = os.environ.get(MULTIPROC_ENV)
    if folder and Path(folder).is_dir():
        multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    for collector in extra:
        registry.register(collector)
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """What ``registry`` collects now, in Prometheus's text format."""
    return generate_latest(registry)
