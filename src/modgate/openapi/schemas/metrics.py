"""Operational figures (``/v1/metrics``): queue depths, rates and sizes by kind, quality by
category against reviewers, and the threshold tuning figures and curves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from modgate.openapi.schemas.base import Open


class QueueStats(Open):
    queue: str
    depth: int
    in_progress: int
    oldest_age_seconds: float | None
    sla_seconds: int | None
    overdue: int


class Queues(Open):
    queues: list[QueueStats]


class RateByKind(Open):
    false_positive_rate: float | None = Field(ge=0, le=1)
    false_negative_rate: float | None = Field(ge=0, le=1)


class SizeByKind(Open):
    false_positive_rate: int = Field(ge=0)
    false_negative_rate: int = Field(ge=0)


class CategoryQuality(Open):
    """One top-level category: decisions that flagged it, and its error rates over the checked
    decisions (weighted by 1/π) with their 95 % Wilson intervals."""

    flagged: int = Field(ge=0)
    false_positive_rate: float | None = Field(ge=0, le=1)
    false_negative_rate: float | None = Field(ge=0, le=1)
    ci_low: RateByKind
    ci_high: RateByKind
    sample_size: SizeByKind


class Disagreement(Open):
    compared: int = Field(ge=0)
    disagreed: int = Field(ge=0)
    with_machine: int = Field(ge=0)
    between_reviewers: int = Field(ge=0)


class QueueFigure(Open):
    queue: str
    depth: int = Field(ge=0)
    oldest_pending_seconds: float | None = Field(ge=0)


class MetricsSummary(Open):
    """What the automation and the reviewers did over a period (docs/metrics.md)."""

    tenant: str
    since: str | None
    until: str | None
    surface: str | None
    region: str | None
    queue: str | None
    total: int = Field(ge=0, description="Decided moderations submitted in the period.")
    auto_allowed_ratio: float | None = Field(ge=0, le=1)
    auto_blocked_ratio: float | None = Field(ge=0, le=1)
    review_ratio: float | None = Field(ge=0, le=1)
    actions: dict[str, float | None] = Field(description="Share of each machine action.")
    counts: dict[str, int]
    average_review_seconds: float | None = Field(ge=0, description="Claim to verdict.")
    p90_review_seconds: float | None = Field(ge=0)
    reviews_timed: int = Field(ge=0)
    disagreement_rate: float | None = Field(ge=0, le=1)
    disagreement: Disagreement
    appeal_overturn_rate: float | None = Field(ge=0, le=1)
    appeals_resolved: int = Field(ge=0)
    policy_changes: int = Field(ge=0)
    queue_depth: int = Field(ge=0)
    oldest_pending_seconds: float | None = Field(ge=0)
    queues: list[QueueFigure]
    categories: dict[str, CategoryQuality]


class TuningBands(Open):
    """A category rule's thresholds (None: the band is not used)."""

    block: int | None = Field(ge=0, le=100)
    review: int | None = Field(ge=0, le=100)
    annotate: int | None = Field(ge=0, le=100)


class TuningRate(Open):
    rate: float | None = Field(ge=0, le=1)
    low: float | None = Field(ge=0, le=1)
    high: float | None = Field(ge=0, le=1)


class TuningFigures(Open):
    """What a rule's thresholds do over the history: shares of all decisions blocked and in
    the review band, the precision of blocking and the recall of flagging (review or block)."""

    block_share: float | None = Field(ge=0, le=1)
    review_share: float | None = Field(ge=0, le=1)
    precision: TuningRate
    recall: TuningRate


class TuningExpected(Open):
    current: TuningFigures
    proposed: TuningFigures


class TuningCategory(Open):
    """A category's recommendation: ``status`` is tuned, unchanged, no_rule,
    insufficient_history or target_unreachable; ``reason`` says why."""

    status: Literal["tuned", "unchanged", "no_rule", "insufficient_history", "target_unreachable"]
    reason: str
    examples: int = Field(ge=0, description="Checked decisions that named or found it.")
    found: int = Field(ge=0, description="Checked decisions where the person found it.")
    current: TuningBands | None
    proposed: TuningBands | None
    expected: TuningExpected


class TuningCurve(Open):
    """Columns, one value per threshold 0-100: weighted precision and recall with the bounds
    of their intervals, and the share of all decisions at or above the threshold."""

    examples: int = Field(ge=0)
    found: int = Field(ge=0)
    thresholds: list[int]
    precision: list[float | None]
    precision_low: list[float | None]
    precision_high: list[float | None]
    recall: list[float | None]
    recall_low: list[float | None]
    recall_high: list[float | None]
    share: list[float | None]


class TuningTargets(Open):
    precision: float | None = Field(ge=0, le=1)
    recall: float | None = Field(ge=0, le=1)
    max_review_ratio: float | None = Field(ge=0, le=1)
    confidence: float = Field(gt=0, lt=1)


class MetricsTuning(Open):
    """Threshold tuning of a policy over the tenant's checked decisions (docs/metrics.md)."""

    policy: str
    policy_version: str
    targets: TuningTargets
    tenant: str
    since: str | None
    until: str | None
    surface: str | None
    examples: int = Field(ge=0, description="Checked decisions read.")
    decisions: int = Field(ge=0, description="Decisions of the period.")
    tuned: list[str]
    categories: dict[str, TuningCategory]
    curves: dict[str, TuningCurve]
