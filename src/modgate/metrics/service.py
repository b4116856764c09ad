"""Use cases of operations metrics: the summary, threshold tuning over the checked decisions,
and the Prometheus scrape (every process's
counters and histograms, plus queue gauges read from the database at scrape time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import utcnow
from modgate.metrics.summary import SummaryQuery, series, summary
from modgate.metrics.tuning import labelled_examples, traffic
from modgate.policy.model import Policy
from modgate.policy.tuning import (
    MIN_EXAMPLES,
    MIN_FOUND,
    Targets,
    TuningQuery,
    curves,
    rule_categories,
)
from modgate.policy.tuning_report import TuningReport, tune
from modgate.review.models import QueueScope, QueueStats
from modgate.telemetry import exposition, scrape_registry

# Queue names come from policies and settings; past this many, the rest are left out.
MAX_QUEUES = 100


class QueueGauges(Collector):
    """Depth, oldest age and tasks over SLA of every review queue, read when scraped."""

    def __init__(self, stats: Callable[[], list[QueueStats]]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "modgate_review_queue_depth", "Review tasks waiting in a queue.", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "modgate_review_queue_oldest_seconds",
            "Age of the oldest pending task of a queue.",
            labels=["queue"],
        )
        overdue = GaugeMetricFamily(
            "modgate_review_queue_over_sla", "Pending tasks older than the SLA.", labels=["queue"]
        )
        for item in self.stats()[:MAX_QUEUES]:
            depth.add_metric([item.queue], item.depth + item.in_progress)
            oldest.add_metric([item.queue], item.oldest_age_seconds or 0.0)
            overdue.add_metric([item.queue], item.overdue)
        yield depth
        yield oldest
        yield overdue


class MetricsService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        queue_stats: Callable[[QueueScope], list[QueueStats]],
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.queue_stats = queue_stats
        self.clock = clock
        self._registry: CollectorRegistry | None = None

    def summary(self, query: SummaryQuery) -> dict[str, Any]:
        with self.sessions() as session:
            return summary(session, query, self.clock())

    def series(self, query: SummaryQuery, step: str) -> list[dict[str, Any]]:
        """The figures bucket by bucket (``step``: hour, day or week) up to now."""
        with self.sessions() as session:
            return series(session, query, step, self.clock())

    def tuning(
        self,
        policy: Policy,
        query: TuningQuery,
        targets: Targets,
        *,
        categories: tuple[str, ...] = (),
        min_examples: int = MIN_EXAMPLES,
        min_found: int = MIN_FOUND,
    ) -> TuningReport:
        """``policy``'s thresholds tuned to ``targets`` over the tenant's checked decisions
        (``modgate.policy.tuning``); ``categories``: only these."""
        with self.sessions() as session:
            examples = labelled_examples(session, query)
            seen = traffic(session, query, categories)
        found = curves(
            examples,
            seen,
            only=categories or None,
            include=rule_categories(policy),
            z=targets.z,
        )
        return tune(
            policy,
            found,
            targets,
            examples=len(examples),
            decisions=seen.total,
            window=query.to_dict(),
            min_examples=min_examples,
            min_found=min_found,
        )

    def registry(self) -> CollectorRegistry:
        """The scrape's registry: every process's samples and the queue gauges."""
        if self._registry is None:
            self._registry = scrape_registry([QueueGauges(lambda: self.queue_stats(QueueScope()))])
        return self._registry

    def scrape(self) -> bytes:
        """The scrape in Prometheus's text format."""
        return exposition(self.registry())
