"""Threshold tuning: weighted precision–recall curves per category and the thresholds they allow.

Each labelled example is one decision a person checked: the peak confidence of every top-level
category its detections named, the categories the person found, and its weight ``1/π`` (π = 1
for a review the policy routed, the stored probability for a blind quality check), with its
sampling stratum. At a threshold ``t`` a category is *flagged* on an example when its confidence
is at least ``t`` (never when detection did not name it). Then, with every sum weighted:

* precision(t): the share of flagged examples where the person found the category;
* recall(t): the share of examples where the person found it that are flagged;
* share(t): the share of all decisions of the period (``Traffic``, every decision, unweighted)
  whose confidence in the category is at least ``t`` — the load a band starting at ``t`` takes.

Precision and recall are ``modgate.quality.estimates`` rates, so their intervals are the same
Wilson intervals at the design's effective sample size as the metrics' error rates.

``recommend`` picks, per category rule of the policy's base layer: with a precision target, the
lowest ``block`` threshold whose precision's *lower* bound meets it (the most automatic blocking
the evidence supports); with a recall target, the highest ``review`` threshold whose recall's
lower bound meets it (the least review that still catches enough); with a review budget alone,
the lowest ``review`` threshold whose review band (``review`` ≤ confidence < ``block``) takes at
most that share of decisions. Bands keep their order: ``block`` stays above the rule's review
(or annotate) threshold, ``review`` between annotate and ``block``. A category with too little
history, or whose target no threshold meets, keeps its thresholds, and says why (``status``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modgate.policy.model import BandRule, Policy
from modgate.quality.estimates import StratumSums, WeightedRate, rate_from_sums
from modgate.taxonomy import taxonomy_v7

THRESHOLDS = tuple(range(101))
BUCKETS = 102  # bucket 0: not detected; bucket b ≥ 1: int(confidence) == b - 1
MIN_EXAMPLES = 30  # checked decisions that named or found the category
MIN_FOUND = 10  # checked decisions where the person found it

# What became of a category (stable codes, in the report and the API).
TUNED = "tuned"
UNCHANGED = "unchanged"  # nothing asked of its bands, or they already are the recommendation
NO_RULE = "no_rule"  # no rule of its own in the base layer ('*' covers it)
INSUFFICIENT_HISTORY = "insufficient_history"
TARGET_UNREACHABLE = "target_unreachable"


@dataclass(frozen=True, slots=True)
class TuningQuery:
    """Whose history, over which period (``since`` inclusive, ``until`` exclusive, by the
    decisions' submission time), which surface."""

    tenant: str
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    surface: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "surface": self.surface,
        }


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """One checked decision (see the module's docstring)."""

    confidences: Mapping[str, float]
    found: frozenset[str]
    weight: float = 1.0
    stratum: str = "routed"


@dataclass(frozen=True, slots=True)
class Traffic:
    """Every decision of the period: how many, and per category how many reached each bucket
    (``BUCKETS`` counts; bucket 0 unused, as a decision that did not name it has no row)."""

    total: int = 0
    histograms: Mapping[str, Sequence[int]] = field(default_factory=dict)

    def share(self, category: str, threshold: int | None) -> float | None:
        """The share of decisions whose confidence in ``category`` is at least ``threshold``
        (None: no decisions; 0 for a band that never starts)."""
        if not self.total:
            return None
        if threshold is None or threshold > 100:
            return 0.0
        histogram = self.histograms.get(category, ())
        return sum(histogram[threshold + 1 :]) / self.total


@dataclass(frozen=True, slots=True)
class Targets:
    """What the thresholds must achieve; ``confidence``: of the intervals' lower bounds."""

    precision: float | None = None
    recall: float | None = None
    max_review_ratio: float | None = None
    confidence: float = 0.95

    @property
    def z(self) -> float:
        return statistics.NormalDist().inv_cdf((1 + self.confidence) / 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "max_review_ratio": self.max_review_ratio,
            "confidence": self.confidence,
        }


@dataclass(frozen=True, slots=True)
class CurvePoint:
    threshold: int
    precision: WeightedRate
    recall: WeightedRate
    share: float | None


@dataclass(frozen=True, slots=True)
class Curve:
    """A category's curve: one point per threshold 0–100, over ``examples`` checked decisions
    that named or found it, ``found`` of them with the category."""

    category: str
    points: tuple[CurvePoint, ...]
    examples: int
    found: int

    def at(self, threshold: int | None) -> CurvePoint | None:
        if threshold is None or not 0 <= threshold <= 100:
            return None
        return self.points[threshold]


def _bucket(confidence: float | None) -> int:
    if confidence is None:
        return 0
    return int(min(100.0, max(0.0, float(confidence)))) + 1


def curves(
    examples: Iterable[LabelledExample],
    traffic: Traffic | None = None,
    *,
    only: Iterable[str] | None = None,
    include: Iterable[str] = (),
    z: float = Targets().z,
) -> dict[str, Curve]:
    """The weighted precision–recall curve of every category the examples name or find (only
    those of ``only`` when given), and of ``include``'s even without examples, with each
    threshold's share of ``traffic``."""
    # sums[category][stratum][found] = per-bucket (count, Σw, Σw²)
    sums: dict[str, dict[str, dict[bool, list[list[float]]]]] = defaultdict(
        lambda: defaultdict(
            lambda: {flag: [[0.0] * 3 for _ in range(BUCKETS)] for flag in (False, True)}
        )
    )
    wanted = set(only) if only is not None else None
    for example in examples:
        for category in set(example.confidences) | example.found:
            if wanted is not None and category not in wanted:
                continue
            cell = sums[category][example.stratum][category in example.found]
            bucket = cell[_bucket(example.confidences.get(category))]
            bucket[0] += 1
            bucket[1] += example.weight
            bucket[2] += example.weight * example.weight
    for category in include:
        if wanted is None or category in wanted:
            sums[category]  # a curve even without examples
    traffic = traffic or Traffic()
    return {
        category: _curve(category, by_stratum, traffic, z)
        for category, by_stratum in sorted(sums.items())
    }


def _curve(
    category: str,
    by_stratum: Mapping[str, Mapping[bool, list[list[float]]]],
    traffic: Traffic,
    z: float,
) -> Curve:
    """Suffix sums over the buckets give, for each threshold, the flagged examples' sums; a
    checked decision that neither named nor found the category changes no point (never
    flagged, never found), so it is not counted."""
    suffix: dict[str, dict[bool, list[list[float]]]] = {}
    for stratum, cells in by_stratum.items():
        suffix[stratum] = {}
        for flag, buckets in cells.items():
            running = [0.0, 0.0, 0.0]
            table = [[0.0] * 3 for _ in range(BUCKETS + 1)]
            for index in range(BUCKETS - 1, -1, -1):
                running = [a + b for a, b in zip(running, buckets[index], strict=True)]
                table[index] = running
            suffix[stratum][bool(flag)] = table
    points = []
    for threshold in THRESHOLDS:
        flagged_sums: dict[str, StratumSums] = {}
        found_sums: dict[str, StratumSums] = {}
        for stratum, tables in suffix.items():
            hit, miss = tables[True][threshold + 1], tables[False][threshold + 1]
            all_found = tables[True][0]
            if hit[0] or miss[0]:
                flagged_sums[stratum] = StratumSums(
                    int(hit[0] + miss[0]), hit[1] + miss[1], hit[1], hit[2] + miss[2], hit[2]
                )
            if all_found[0]:
                found_sums[stratum] = StratumSums(
                    int(all_found[0]), all_found[1], hit[1], all_found[2], hit[2]
                )
        points.append(
            CurvePoint(
                threshold,
                rate_from_sums(flagged_sums, z),
                rate_from_sums(found_sums, z),
                traffic.share(category, threshold),
            )
        )
    examples = sum(int(t[flag][0][0]) for t in suffix.values() for flag in (True, False))
    found = sum(int(t[True][0][0]) for t in suffix.values())
    return Curve(category, tuple(points), examples, found)


@dataclass(frozen=True, slots=True)
class Bands:
    """A rule's thresholds as whole percentages (None: the band is not used)."""

    block: int | None
    review: int | None
    annotate: int | None

    @classmethod
    def of(cls, rule: BandRule) -> Bands:
        def whole(value: float | None) -> int | None:
            return None if value is None else int(round(value))

        return cls(whole(rule.block), whole(rule.review), whole(rule.annotate))

    @property
    def flag(self) -> int | None:
        """Where flagging (review or block) starts."""
        started = [t for t in (self.review, self.block) if t is not None]
        return min(started) if started else None

    def to_dict(self) -> dict[str, int | None]:
        return {"block": self.block, "review": self.review, "annotate": self.annotate}


@dataclass(frozen=True, slots=True)
class Recommendation:
    category: str
    status: str
    reason: str
    current: Bands | None
    proposed: Bands | None

    @property
    def changed(self) -> bool:
        return self.status == TUNED


def rule_categories(policy: Policy) -> list[str]:
    """The top-level categories with a rule of their own in the policy's base layer: the
    rules tuning can change."""
    taxonomy = taxonomy_v7()
    return [
        name
        for name in policy.base.categories
        if name in taxonomy and taxonomy.top_level(name).name == name
    ]
