"""Backtest: replay stored detections through a candidate policy, never re-detecting.

``run_backtest`` is pure: it takes history items and policies and returns a ``BacktestReport``
(shares auto-allowed / auto-blocked / reviewed for the candidate and the active policy, the items
whose action changes, false positives and negatives per category where human verdicts exist, the
expected review load, and a per-category threshold sweep). Items carry typed detections, so
images, animations and videos replay through the same engine path as live traffic.
``modgate.policy.history.iter_history`` reads them from the ``moderations`` table;
``modgate.policy.backtest_plot.plot_sweep`` draws the sweep as a PNG.

Definitions, per top-level category C of an item with a human verdict: C is *truly present* when
a reviewer confirmed one of its labels or listed one as missed. A *false positive* is an item the
policy blocked because of a label in C that is not truly present; a *false negative* is an item
the policy let through (allow or annotate) while C is truly present. Reviewed items are neither:
they are the review load.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from modgate.policy.context import Context
from modgate.policy.decision import Match
from modgate.policy.engine import compiled, has_sampling
from modgate.policy.model import ACTIONS, Policy
from modgate.taxonomy import taxonomy_v7
from modgate.taxonomy.detections import Detections, Label

SWEEP_THRESHOLDS = tuple(range(0, 101, 5))
SAMPLE_SIZE = 20


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One stored moderation, as much of it as a replay needs."""

    id: str
    detections: Detections
    context: dict[str, Any]
    item_key: str | None = None
    action: str | None = None
    rule: str | None = None
    policy_version: str | None = None
    verdict: dict[str, Any] | None = None


@dataclass
class CategoryCounts:
    blocked: int = 0
    reviewed: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    truly_present: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class BacktestReport:
    total: int = 0
    candidate_version: str = ""
    active_version: str | None = None
    candidate_actions: Counter[str] = field(default_factory=Counter)
    active_actions: Counter[str] = field(default_factory=Counter)
    changes: Counter[tuple[str, str]] = field(default_factory=Counter)
    sample: list[dict[str, Any]] = field(default_factory=list)
    with_verdict: int = 0
    candidate_categories: dict[str, CategoryCounts] = field(
        default_factory=lambda: defaultdict(CategoryCounts)
    )
    active_categories: dict[str, CategoryCounts] = field(
        default_factory=lambda: defaultdict(CategoryCounts)
    )
    review_tasks: int = 0
    review_queues: Counter[str] = field(default_factory=Counter)
    # sweep[category][threshold] = [flagged, false_positives, false_negatives]
    sweep: dict[str, dict[int, list[int]]] = field(default_factory=dict)

    def share(self, counter: Counter[str], *actions: str) -> float:
        return sum(counter[a] for a in actions) / self.total if self.total else 0.0

    def audit_summary(self) -> dict[str, Any]:
        """The figures the audit log keeps of a backtest: what it compared, over how much."""
        return {
            "active_version": self.active_version,
            "total": self.total,
            "changed": sum(self.changes.values()),
            "with_verdict": self.with_verdict,
        }

    def to_dict(self) -> dict[str, Any]:
        def shares(counter: Counter[str]) -> dict[str, Any]:
            return {
                "auto_allowed": self.share(counter, "allow", "annotate"),
                "auto_blocked": self.share(counter, "block"),
                "review": self.share(counter, "review"),
                "counts": {a: counter[a] for a in ACTIONS},
            }

        return {
            "total": self.total,
            "candidate_version": self.candidate_version,
            "active_version": self.active_version,
            "candidate": shares(self.candidate_actions),
            "active": shares(self.active_actions),
            "changed": sum(self.changes.values()),
            "changes": [
                {"from": a, "to": b, "count": n} for (a, b), n in sorted(self.changes.items())
            ],
            "sample": self.sample,
            "with_verdict": self.with_verdict,
            "categories": {
                "candidate": {c: v.to_dict() for c, v in sorted(self.candidate_categories.items())},
                "active": {c: v.to_dict() for c, v in sorted(self.active_categories.items())},
            },
            "review_load": {
                "items": self.candidate_actions["review"],
                "reviewer_tasks": self.review_tasks,
                "queues": dict(sorted(self.review_queues.items())),
            },
            "sweep": {
                c: {
                    str(t): dict(
                        zip(("flagged", "false_positives", "false_negatives"), v, strict=True)
                    )
                    for t, v in rows.items()
                }
                for c, rows in sorted(self.sweep.items())
            },
        }


def _top(name: str, cache: dict[str, str | None]) -> str | None:
    if name not in cache:
        taxonomy = taxonomy_v7()
        cache[name] = taxonomy.top_level(name).name if name in taxonomy else None
    return cache[name]


def _truth(verdict: dict[str, Any], tops: dict[str, str | None]) -> set[str]:
    present = {_top(name, tops) for name, right in (verdict.get("labels") or {}).items() if right}
    present.update(_top(name, tops) for name in verdict.get("missed") or [])
    present.discard(None)
    return present  # type: ignore[return-value]


def _count(
    counts: dict[str, CategoryCounts], action: str, blamed: set[str], truth: set[str]
) -> None:
    for category in truth:
        counts[category].truly_present += 1
        if action in ("allow", "annotate"):
            counts[category].false_negatives += 1
    for category in blamed:
        if action == "block":
            counts[category].blocked += 1
            if category not in truth:
                counts[category].false_positives += 1
        elif action == "review":
            counts[category].reviewed += 1


def run_backtest(
    candidate: Policy,
    items: Iterable[HistoryItem],
    active: Policy | None = None,
) -> BacktestReport:
    """Replay ``items`` through ``candidate`` and compare with ``active`` (or the stored action)."""
    report = BacktestReport(
        candidate_version=candidate.version, active_version=active.version if active else None
    )
    tops: dict[str, str | None] = {}
    contexts: dict[Any, Context] = {}
    # Only A2I sampling looks at the item key; without it, contexts repeat and are cached.
    keyed = uses_sampling(candidate) or (active is not None and uses_sampling(active))
    run_candidate = compiled(candidate).evaluate
    run_active = compiled(active).evaluate if active is not None else None
    sweep_truth: dict[str, list[int]] = defaultdict(lambda: [0] * 102)
    sweep_false: dict[str, list[int]] = defaultdict(lambda: [0] * 102)
    sweep_all: dict[str, list[int]] = defaultdict(lambda: [0] * 102)
    for item in items:
        report.total += 1
        context = _context(item, contexts, keyed)
        decision = run_candidate(item.detections, context)
        if (
            run_active is None
            or active is None
            or (item.policy_version == active.version and item.action)
        ):
            old_action, old_rule = item.action or "allow", item.rule
            old_blamed: set[str] | None = None
        else:
            old = run_active(item.detections, context)
            old_action, old_rule = old.action, old.rule
            old_blamed = _blamed(old.matched, old.action, tops)
        report.candidate_actions[decision.action] += 1
        report.active_actions[old_action] += 1
        if decision.action != old_action:
            report.changes[(old_action, decision.action)] += 1
            if len(report.sample) < SAMPLE_SIZE:
                report.sample.append(
                    {
                        "id": item.id,
                        "from": old_action,
                        "to": decision.action,
                        "active_rule": old_rule,
                        "candidate_rule": decision.rule,
                    }
                )
        if decision.action == "review" and decision.review is not None:
            report.review_tasks += decision.review.reviewers
            report.review_queues[decision.review.queue] += 1
        peaks = _peaks(item.detections.peak_labels(), tops)
        for category, peak in peaks.items():
            sweep_all[category][int(peak)] += 1
        if item.verdict:
            report.with_verdict += 1
            truth = _truth(item.verdict, tops)
            _count(
                report.candidate_categories,
                decision.action,
                _blamed(decision.matched, decision.action, tops),
                truth,
            )
            if old_blamed is None:
                old_blamed = {c for c in peaks} if old_action in ("block", "review") else set()
            _count(report.active_categories, old_action, old_blamed, truth)
            for category in set(peaks) | truth:
                bucket = int(peaks.get(category, -1)) + 1 if category in peaks else 0
                (sweep_truth if category in truth else sweep_false)[category][bucket] += 1
    report.sweep = _sweep(sweep_all, sweep_truth, sweep_false)
    return report


def uses_sampling(policy: Policy) -> bool:
    return any(
        layer.a2i is not None and has_sampling(layer.a2i.condition)
        for layer in (policy.base, *policy.overlays)
    )


def uses_text(policy: Policy) -> bool:
    """Whether the policy has text rules (a replay then needs the stored text)."""
    return any(layer.text for layer in (policy.base, *policy.overlays))


def _context(item: HistoryItem, cache: dict[Any, Context], keyed: bool) -> Context:
    if keyed:
        return Context.from_dict({**item.context, "item_key": item.item_key or item.id})
    try:
        key: Any = tuple(sorted(item.context.items()))
        hash(key)
    except TypeError:
        key = json.dumps(item.context, sort_keys=True, default=str)
    context = cache.get(key)
    if context is None:
        context = Context.from_dict(item.context)
        if len(cache) < 100_000:
            cache[key] = context
    return context


def _blamed(matched: Iterable[Match], action: str, tops: dict[str, str | None]) -> set[str]:
    found = {_top(m.label, tops) for m in matched if m.action == action}
    found.discard(None)
    return found  # type: ignore[return-value]


def _peaks(labels: Iterable[Label], tops: dict[str, str | None]) -> dict[str, float]:
    peaks: dict[str, float] = {}
    for label in labels:
        category = _top(label.name, tops)
        if category is not None:
            value = min(100.0, max(0.0, float(label.confidence)))
            if value > peaks.get(category, -1.0):
                peaks[category] = value
    return peaks


def _sweep(
    all_items: dict[str, list[int]], truth: dict[str, list[int]], false: dict[str, list[int]]
) -> dict[str, dict[int, list[int]]]:
    """For each threshold t: items whose peak ≥ t (flagged), verdict-backed FP and FN."""
    out: dict[str, dict[int, list[int]]] = {}
    for category, histogram in all_items.items():
        rows = {}
        # bucket index: confidence c lands in int(c); verdict histograms are shifted by one so
        # index 0 holds items where the category was not detected at all.
        for threshold in SWEEP_THRESHOLDS:
            flagged = sum(histogram[threshold:101])
            false_pos = sum(false.get(category, [0] * 102)[threshold + 1 :])
            true_hist = truth.get(category, [0] * 102)
            false_neg = sum(true_hist[: threshold + 1])
            rows[threshold] = [flagged, false_pos, false_neg]
        out[category] = rows
    return out


def format_report(report: BacktestReport) -> str:
    data = report.to_dict()
    lines = [
        f"replayed {report.total} stored moderations "
        f"(candidate {report.candidate_version[:12]} vs "
        f"{(report.active_version or 'stored actions')[:12]})",
        "",
        f"{'':<10}{'auto-allowed':>14}{'auto-blocked':>14}{'review':>10}",
    ]
    for name in ("active", "candidate"):
        row = data[name]
        lines.append(
            f"{name:<10}{row['auto_allowed']:>14.1%}{row['auto_blocked']:>14.1%}"
            f"{row['review']:>10.1%}"
        )
    lines += ["", f"changed: {data['changed']} items"]
    lines += [f"  {c['from']:>8} → {c['to']:<8} {c['count']}" for c in data["changes"]]
    if report.sample:
        lines.append(
            "  sample: "
            + ", ".join(f"{s['id']} ({s['from']}→{s['to']})" for s in report.sample[:10])
        )
    lines += [
        "",
        f"review load: {data['review_load']['items']} items, "
        f"{data['review_load']['reviewer_tasks']} reviewer tasks "
        f"{data['review_load']['queues']}",
    ]
    if report.with_verdict:
        lines += [
            "",
            f"with human verdicts: {report.with_verdict}",
            f"{'category':<52}{'FP now':>8}{'FP new':>8}{'FN now':>8}{'FN new':>8}",
        ]
        for category in sorted(set(report.candidate_categories) | set(report.active_categories)):
            new = report.candidate_categories[category]
            old = report.active_categories[category]
            lines.append(
                f"{category:<52}{old.false_positives:>8}{new.false_positives:>8}"
                f"{old.false_negatives:>8}{new.false_negatives:>8}"
            )
    lines += ["", "threshold sweep (flagged / FP / FN at each threshold):"]
    for category, rows in sorted(report.sweep.items()):
        cells = "  ".join(f"{t}:{v[0]}/{v[1]}/{v[2]}" for t, v in rows.items() if t % 10 == 0)
        lines.append(f"  {category}: {cells}")
    return "\n".join(lines)
