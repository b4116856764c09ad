"""The service's state: health (``/healthz``), the review queues' figures, the operations
summary and the threshold tuning figures (``/v1/metrics``)."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, Unpack

from modgate.client.operations.call import Call, _json, _query, route
from modgate.client.types import Health, MetricsSummary, MetricsTuning, QueueStats


@route("GET", "/healthz")
def get_health() -> Call[Health]:
    """Liveness and database check (``/healthz``, needs no key)."""
    return Call("GET", "/healthz", _json)


@route("GET", "/v1/review/queues")
def list_review_queues() -> Call[list[QueueStats]]:
    """Depth, oldest age and SLA of every review queue."""
    return Call("GET", "/v1/review/queues", lambda response: response.json()["queues"])


class MetricsFilters(TypedDict, total=False):
    since: dt.datetime | str  # ISO 8601; default: 30 days before until
    until: dt.datetime | str  # default: now
    surface: str
    region: str
    queue: str


@route("GET", "/v1/metrics/summary")
def get_metrics_summary(**filters: Unpack[MetricsFilters]) -> Call[MetricsSummary]:
    """The ops metrics of the tenant's decisions and reviews over a period (scope
    ``metrics:read``): shares of actions, review times, disagreement, error rates per
    category with their intervals, queue health."""
    return Call("GET", "/v1/metrics/summary", _json, _query(**filters))


class TuningFilters(TypedDict, total=False):
    policy: str  # a stored policy version (or a prefix); default: the surface's active one
    surface: str
    since: dt.datetime | str  # ISO 8601, by the decisions' submission time
    until: dt.datetime | str
    target_precision: float  # the block threshold's precision (lower bound) to reach
    target_recall: float  # the review threshold's recall (lower bound) to reach
    max_review_ratio: float  # at most this share of decisions in a category's review band
    confidence: float  # of the lower bounds; default 0.95
    category: str  # only this top-level category


@route("GET", "/v1/metrics/tuning")
def get_metrics_tuning(**filters: Unpack[TuningFilters]) -> Call[MetricsTuning]:
    """Weighted precision–recall curves per category over the tenant's checked decisions,
    and the thresholds the targets allow (scope ``metrics:read``; ``modgate policy tune``)."""
    return Call("GET", "/v1/metrics/tuning", _json, _query(**filters))
