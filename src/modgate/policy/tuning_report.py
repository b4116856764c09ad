"""The thresholds a policy's curves allow (``recommend``), and the report of a tuning run: per
category what was proposed and why, the expected change of review load and error rates against
the policy's own thresholds, and the curves themselves (``TuningReport.to_dict``: the CLI's
``report.json`` and the ``GET /v1/metrics/tuning`` answer). See ``modgate.policy.tuning``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from modgate.policy.model import BandRule, Policy
from modgate.policy.tuning import (
    INSUFFICIENT_HISTORY,
    MIN_EXAMPLES,
    MIN_FOUND,
    NO_RULE,
    TARGET_UNREACHABLE,
    TUNED,
    UNCHANGED,
    Bands,
    Curve,
    Recommendation,
    Targets,
)
from modgate.quality.estimates import WeightedRate

DIGITS = 6


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def _meets(rate: WeightedRate, target: float) -> bool:
    return rate.low is not None and rate.low >= target


def recommend_block(curve: Curve, bands: Bands, target: float) -> int | None:
    """The lowest block threshold above the rule's review (or annotate) threshold whose
    precision's lower bound meets ``target``; None when none does."""
    floor = max((t for t in (bands.review, bands.annotate) if t is not None), default=-1)
    for point in curve.points[floor + 1 :]:
        if _meets(point.precision, target):
            return point.threshold
    return None


def recommend_review(curve: Curve, bands: Bands, targets: Targets) -> int | None:
    """The review threshold between annotate and ``bands.block`` that meets the recall target
    (the highest that does) and keeps the review band within the budget (with no recall
    target, the lowest that does); None when none does."""
    floor = bands.annotate if bands.annotate is not None else -1
    ceiling = bands.block if bands.block is not None else 101
    blocked = curve.at(bands.block)
    block_share = blocked.share if blocked is not None else 0.0
    fitting = []
    for point in curve.points[floor + 1 : ceiling]:
        if targets.recall is not None and not _meets(point.recall, targets.recall):
            continue
        if targets.max_review_ratio is not None:
            if point.share is None or block_share is None:
                continue
            if point.share - block_share > targets.max_review_ratio + 1e-12:
                continue
        fitting.append(point.threshold)
    if not fitting:
        return None
    return max(fitting) if targets.recall is not None else min(fitting)


def recommend(
    category: str,
    rule: BandRule | None,
    curve: Curve,
    targets: Targets,
    *,
    min_examples: int = MIN_EXAMPLES,
    min_found: int = MIN_FOUND,
) -> Recommendation:
    """What ``targets`` make of ``rule``'s thresholds, given the category's ``curve``."""
    if rule is None or rule.ignore:
        why = "no rule of its own in the base layer ('*' covers it): add one to tune it"
        return Recommendation(category, NO_RULE, why, None, None)
    current = Bands.of(rule)
    if curve.examples < min_examples or curve.found < min_found:
        why = (
            f"too little history: {curve.examples} checked decisions named or found it "
            f"({min_examples} needed), {curve.found} found it ({min_found} needed); "
            "thresholds left unchanged"
        )
        return Recommendation(category, INSUFFICIENT_HISTORY, why, current, current)
    proposed, notes, missed = current, [], False
    if targets.precision is not None and current.block is not None:
        block = recommend_block(curve, current, targets.precision)
        if block is None:
            missed = True
            notes.append(f"no block threshold has precision ≥ {targets.precision} (lower bound)")
        else:
            proposed = replace(proposed, block=block)
            notes.append(_moved("block", current.block, block))
    wants_review = targets.recall is not None or targets.max_review_ratio is not None
    if wants_review and current.review is not None:
        review = recommend_review(curve, proposed, targets)
        if review is None:
            missed = True
            notes.append("no review threshold meets the recall target and review budget")
        else:
            proposed = replace(proposed, review=review)
            notes.append(_moved("review", current.review, review))
    if proposed != current:
        return Recommendation(category, TUNED, "; ".join(notes), current, proposed)
    if missed:
        return Recommendation(category, TARGET_UNREACHABLE, "; ".join(notes), current, current)
    why = "; ".join(notes) or "no target applies to its bands"
    return Recommendation(category, UNCHANGED, why, current, current)


def _moved(band: str, before: int | None, after: int) -> str:
    return f"{band} stays {after}" if before == after else f"{band} {before} → {after}"


def _rate(rate: WeightedRate | None) -> dict[str, Any]:
    if rate is None:
        return {"rate": None, "low": None, "high": None}
    return {"rate": _round(rate.rate), "low": _round(rate.low), "high": _round(rate.high)}


def figures(curve: Curve, bands: Bands | None) -> dict[str, Any]:
    """What a rule's thresholds do over the history: the shares of decisions blocked and sent
    to review, the precision of blocking and the recall of flagging (review or block)."""
    if bands is None:
        return {
            "block_share": None,
            "review_share": None,
            "precision": _rate(None),
            "recall": _rate(None),
        }
    block, flag = curve.at(bands.block), curve.at(bands.flag)
    block_share = block.share if block is not None else 0.0
    flag_share = flag.share if flag is not None else 0.0
    review_share = None
    if block_share is not None and flag_share is not None:
        review_share = max(flag_share - block_share, 0.0)
    return {
        "block_share": _round(block_share),
        "review_share": _round(review_share),
        "precision": _rate(block.precision if block else None),
        "recall": _rate(flag.recall if flag else None),
    }


@dataclass
class TuningReport:
    """One tuning run: its inputs, a recommendation per category and the curves."""

    policy: Policy
    targets: Targets
    curves: Mapping[str, Curve]
    recommendations: dict[str, Recommendation] = field(default_factory=dict)
    examples: int = 0
    decisions: int = 0
    window: dict[str, Any] = field(default_factory=dict)

    @property
    def changes(self) -> dict[str, Bands]:
        return {c: r.proposed for c, r in self.recommendations.items() if r.changed and r.proposed}

    def to_dict(self) -> dict[str, Any]:
        categories = {}
        for category, item in sorted(self.recommendations.items()):
            curve = self.curves[category]
            categories[category] = {
                "status": item.status,
                "reason": item.reason,
                "examples": curve.examples,
                "found": curve.found,
                "current": item.current.to_dict() if item.current else None,
                "proposed": item.proposed.to_dict() if item.proposed else None,
                "expected": {
                    "current": figures(curve, item.current),
                    "proposed": figures(curve, item.proposed),
                },
            }
        return {
            "policy": self.policy.name,
            "policy_version": self.policy.version,
            "targets": self.targets.to_dict(),
            **self.window,
            "examples": self.examples,
            "decisions": self.decisions,
            "tuned": sorted(self.changes),
            "categories": categories,
            "curves": {name: curve_dict(curve) for name, curve in sorted(self.curves.items())},
        }


def curve_dict(curve: Curve) -> dict[str, Any]:
    """A curve as columns (threshold, precision and its bounds, recall and its bounds, share)."""
    points = curve.points
    return {
        "examples": curve.examples,
        "found": curve.found,
        "thresholds": [p.threshold for p in points],
        "precision": [_round(p.precision.rate) for p in points],
        "precision_low": [_round(p.precision.low) for p in points],
        "precision_high": [_round(p.precision.high) for p in points],
        "recall": [_round(p.recall.rate) for p in points],
        "recall_low": [_round(p.recall.low) for p in points],
        "recall_high": [_round(p.recall.high) for p in points],
        "share": [_round(p.share) for p in points],
    }


def tune(
    policy: Policy,
    curves: Mapping[str, Curve],
    targets: Targets,
    *,
    examples: int = 0,
    decisions: int = 0,
    window: dict[str, Any] | None = None,
    min_examples: int = MIN_EXAMPLES,
    min_found: int = MIN_FOUND,
) -> TuningReport:
    """A recommendation for every category with a curve."""
    report = TuningReport(policy, targets, curves, {}, examples, decisions, window or {})
    for category, curve in curves.items():
        rule = policy.base.categories.get(category)
        report.recommendations[category] = recommend(
            category, rule, curve, targets, min_examples=min_examples, min_found=min_found
        )
    return report
