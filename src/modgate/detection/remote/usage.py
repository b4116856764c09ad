"""What remote detection costs, counted in one place: calls, images and video minutes per
backend, failures, retries and circuit openings, and per surface how many items the cascade sent
to a remote backend.

Providers bill by these numbers (Rekognition per image and per video minute; a self-hosted guard
model in GPU time per call), so they are counted where the calls are made and read through one
API: ``remote_usage().snapshot()`` gives an immutable ``UsageSnapshot`` that the metrics
exposition turns into counters (names in ``COUNTERS``). Counts are per process and only grow.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from prometheus_client import Counter

BackendCounter = Literal[
    "calls", "images", "video_minutes", "failures", "retries", "circuit_opened", "refused"
]

COUNTERS: dict[str, str] = {
    "modgate_remote_calls_total": "Requests sent to a remote detection backend (tries included).",
    "modgate_remote_images_total": "Images and video frames a remote backend was asked about.",
    "modgate_remote_video_minutes_total": "Minutes of stored video a remote backend analysed.",
    "modgate_remote_failures_total": "Remote requests that failed (timeout, 429, 5xx, bad answer).",
    "modgate_remote_retries_total": "Remote requests tried again after a failure.",
    "modgate_remote_circuit_opened_total": "Times a backend's circuit breaker opened.",
    "modgate_remote_refused_total": "Calls refused at once because the circuit was open or full.",
    "modgate_cascade_items_total": "Items (images, frames) the cascade looked at.",
    "modgate_cascade_remote_items_total": "Items the cascade sent to remote backends.",
}
"""Every metric name this module feeds, declared once, with its help text. In ``/metrics`` the
``modgate_remote_*`` counters are labelled by ``backend`` (a configured detector's name); the
cascade's are totals (the per-surface split is in ``snapshot``: a surface named by a client is
not a bounded label value)."""


class _Exported:
    """The Prometheus counters fed beside the in-process counts, built on first use (after
    ``modgate.telemetry.configure`` chose multiprocess mode) and never registered globally:
    the scrape reads every process's files."""

    def __init__(self) -> None:
        self._built: dict[str, Counter] | None = None
        self._lock = threading.Lock()

    def counter(self, name: str) -> Counter:
        with self._lock:
            if self._built is None:
                self._built = {
                    full: Counter(
                        full.removesuffix("_total"),
                        text,
                        ["backend"] if full.startswith("modgate_remote_") else [],
                        registry=None,
                    )
                    for full, text in COUNTERS.items()
                }
            return self._built[name]


_EXPORTED = _Exported()


@dataclass(frozen=True)
class UsageSnapshot:
    """The counts at one moment. ``backends[name][counter]``; ``cascade[surface]`` is
    ``(items looked at, items sent remote)``; the surface ``""`` stands for no surface."""

    backends: MappingProxyType[str, MappingProxyType[str, float]]
    cascade: MappingProxyType[str, tuple[int, int]]

    def backend(self, name: str, counter: BackendCounter) -> float:
        return self.backends.get(name, MappingProxyType({})).get(counter, 0.0)

    def remote_share(self, surface: str | None = None) -> float:
        """The share (0–1) of items sent remote, on one surface or (None) on all."""
        pairs = self.cascade.values() if surface is None else [self.cascade.get(surface, (0, 0))]
        seen = sum(items for items, _ in pairs)
        sent = sum(remote for _, remote in pairs)
        return sent / seen if seen else 0.0


@dataclass
class RemoteUsage:
    """Thread-safe counters; ``snapshot`` to read them."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _backends: defaultdict[str, defaultdict[str, float]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )
    _cascade: defaultdict[str, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )

    def add(self, backend: str, counter: BackendCounter, amount: float = 1.0) -> None:
        with self._lock:
            self._backends[backend][counter] += amount
        _EXPORTED.counter(f"modgate_remote_{counter}_total").labels(backend=backend).inc(amount)

    def cascade_items(self, surface: str | None, looked_at: int, sent_remote: int) -> None:
        with self._lock:
            counts = self._cascade[surface or ""]
            counts[0] += looked_at
            counts[1] += sent_remote
        _EXPORTED.counter("modgate_cascade_items_total").inc(looked_at)
        _EXPORTED.counter("modgate_cascade_remote_items_total").inc(sent_remote)

    def snapshot(self) -> UsageSnapshot:
        with self._lock:
            backends = {
                name: MappingProxyType(dict(counts)) for name, counts in self._backends.items()
            }
            cascade = {surface: (pair[0], pair[1]) for surface, pair in self._cascade.items()}
        return UsageSnapshot(MappingProxyType(backends), MappingProxyType(cascade))


_PROCESS_USAGE = RemoteUsage()


def remote_usage() -> RemoteUsage:
    """This process's counters (what the metrics exposition reads)."""
    return _PROCESS_USAGE
