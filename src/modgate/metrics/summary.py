"""The operations summary of one tenant over a period, computed by the database.

Definitions (docs/metrics.md says the same for users):

* ``total``: decided moderations submitted in the period; ``actions``: the share of each
  machine action (``auto_allowed_ratio`` = allow, ``auto_blocked_ratio`` = block,
  ``review_ratio`` = review; the shares add up to 1).
* Review time: from a reviewer's claim of a task to that reviewer's verdict, both stamped by
  the server, for the verdicts given in the period; ``p90`` is the nearest-rank percentile.
* Disagreement: every verdict of a first pass, escalation or quality check is compared with
  the machine (it disagrees when it rejects a label the machine flagged, names one the machine
  missed; for a blind check of an automatic decision, when it decides another action), and
  every two verdicts on one review with each other (another action, another judgement of a
  label, or other missed labels). The rate is the share of these comparisons that disagreed.
* Appeals: the share of the appeals resolved in the period that were overturned.
* Queue depth and the oldest pending task: now, not over the period.
* Categories: per top-level category, the decisions that flagged it, and the false positive
  rate (flagged, but the reviewer found no such content) and false negative rate (content
  the reviewer found, not flagged) over the checked decisions, each check weighted by
  ``1/π`` (π = 1 for routed reviews, the stored probability for blind quality checks), with
  Wilson intervals within strata (routed reviews; each sampling stratum of the checks; see
  ``modgate.quality.estimates``).

``surface`` and ``region`` narrow everything to the moderations they name; ``queue`` narrows
the review figures (review time, disagreement, queue depth and age) to one queue.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from modgate.moderation.tables import ModerationRow
from modgate.policy.tables import PolicyActivationRow
from modgate.quality.estimates import WeightedRate, weighted_rate
from modgate.quality.sampling import top_category
from modgate.quality.tables import DecisionCategoryRow, QualityDrawRow
from modgate.review.tables import AppealRow, ReviewRow, ReviewTaskRow, ReviewVerdictRow
from modgate.taxonomy import taxonomy_v7

JUDGED_KINDS = ("first", "escalation", "qa")
DIGITS = 6


@dataclass(frozen=True, slots=True)
class SummaryQuery:
    """Whose moderations, over which period (``since`` inclusive, ``until`` exclusive), and
    which surface, region or review queue."""

    tenant: str
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    surface: str | None = None
    region: str | None = None
    queue: str | None = None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def _ratio(part: float, whole: float) -> float | None:
    return _round(part / whole) if whole else None


def _in_window(column: Any, query: SummaryQuery) -> list[ColumnElement[bool]]:
    conditions = []
    if query.since is not None:
        conditions.append(column >= query.since)
    if query.until is not None:
        conditions.append(column < query.until)
    return conditions


def _of_moderations(query: SummaryQuery) -> list[ColumnElement[bool]]:
    """The tenant, surface and region conditions on ``moderations``."""
    m = ModerationRow
    conditions: list[ColumnElement[bool]] = [m.tenant == query.tenant]
    if query.surface is not None:
        conditions.append(m.surface == query.surface)
    if query.region is not None:
        conditions.append(m.context["region"].as_string() == query.region)
    return conditions


def _joined(statement: Any, on: Any, query: SummaryQuery) -> Any:
    """``statement`` joined to the moderations ``on`` names, narrowed to the query's."""
    return statement.join(ModerationRow, ModerationRow.id == on).where(*_of_moderations(query))


def summary(session: Session, query: SummaryQuery, now: dt.datetime) -> dict[str, Any]:
    """Every figure of the summary (see the module's docstring)."""
    counts = _action_counts(session, query)
    total = sum(counts.values())
    shares = {action: _ratio(n, total) for action, n in sorted(counts.items())}
    durations = _review_seconds(session, query)
    compared, disagreed, with_machine, between = _disagreements(session, query)
    resolved, overturned = _appeals(session, query)
    queues = _queues(session, query, now)
    oldest = [q["oldest_pending_seconds"] for q in queues if q["oldest_pending_seconds"]]
    return {
        "tenant": query.tenant,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
        "surface": query.surface,
        "region": query.region,
        "queue": query.queue,
        "total": total,
        "auto_allowed_ratio": shares.get("allow", 0.0 if total else None),
        "auto_blocked_ratio": shares.get("block", 0.0 if total else None),
        "review_ratio": shares.get("review", 0.0 if total else None),
        "actions": shares,
        "counts": dict(sorted(counts.items())),
        "average_review_seconds": _round(sum(durations) / len(durations)) if durations else None,
        "p90_review_seconds": _round(nearest_rank(durations, 0.9)),
        "reviews_timed": len(durations),
        "disagreement_rate": _ratio(disagreed, compared),
        "disagreement": {
            "compared": compared,
            "disagreed": disagreed,
            "with_machine": with_machine,
            "between_reviewers": between,
        },
        "appeal_overturn_rate": _ratio(overturned, resolved),
        "appeals_resolved": resolved,
        "policy_changes": _policy_changes(session, query),
        "queue_depth": sum(q["depth"] for q in queues),
        "oldest_pending_seconds": _round(max(oldest)) if oldest else None,
        "queues": queues,
        "categories": _categories(session, query),
    }


def nearest_rank(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` of the values
    at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _action_counts(session: Session, query: SummaryQuery) -> dict[str, int]:
    m = ModerationRow
    statement = (
        select(m.action, func.count())
        .where(*_of_moderations(query), *_in_window(m.created_at, query), m.action.is_not(None))
        .group_by(m.action)
    )
    return {str(action): int(n) for action, n in session.execute(statement)}


def _review_seconds(session: Session, query: SummaryQuery) -> list[float]:
    v, t = ReviewVerdictRow, ReviewTaskRow
    statement = select(v.created_at, t.claimed_at).join(t, t.id == v.task_id)
    statement = _joined(statement, v.moderation_id, query).where(
        *_in_window(v.created_at, query), t.claimed_at.is_not(None)
    )
    if query.queue is not None:
        statement = statement.where(t.queue == query.queue)
    return [
        max((given - claimed).total_seconds(), 0.0) for given, claimed in session.execute(statement)
    ]


def _verdict_key(action: str, labels: Mapping[str, Any], missed: Iterable[str]) -> tuple[Any, ...]:
    return action, tuple(sorted((k, bool(v)) for k, v in labels.items())), tuple(sorted(missed))


def _disagreements(session: Session, query: SummaryQuery) -> tuple[int, int, int, int]:
    """(comparisons, disagreements, disagreements with the machine, between reviewers)."""
    v, r = ReviewVerdictRow, ReviewRow
    statement = select(
        v.review_id, v.action, v.labels, v.missed, r.kind, ModerationRow.action
    ).join(r, r.id == v.review_id)
    statement = _joined(statement, v.moderation_id, query).where(
        *_in_window(v.created_at, query), r.kind.in_(JUDGED_KINDS)
    )
    if query.queue is not None:
        statement = statement.where(r.queue == query.queue)
    by_review: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    compared = with_machine = between = 0
    for review_id, action, labels, missed, kind, machine in session.execute(statement):
        labels, missed = labels or {}, missed or []
        compared += 1
        if kind == "qa":  # blind: the reviewer names what they see, so only the action counts
            differs = action != machine
        else:
            differs = not all(bool(right) for right in labels.values()) or bool(missed)
        with_machine += int(differs)
        by_review[review_id].append(_verdict_key(action, labels, missed))
    for keys in by_review.values():
        for i, first in enumerate(keys):
            for second in keys[i + 1 :]:
                compared += 1
                between += int(first != second)
    return compared, with_machine + between, with_machine, between


def _appeals(session: Session, query: SummaryQuery) -> tuple[int, int]:
    a = AppealRow
    statement = _joined(select(a.outcome, func.count()), a.moderation_id, query)
    statement = statement.where(a.status == "resolved", *_in_window(a.resolved_at, query))
    found: dict[str | None, int] = dict(session.execute(statement.group_by(a.outcome)).all())
    return int(sum(found.values())), int(found.get("overturned", 0))


def _policy_changes(session: Session, query: SummaryQuery) -> int:
    p = PolicyActivationRow
    statement = select(func.count()).where(*_in_window(p.activated_at, query))
    if query.surface is not None:
        statement = statement.where(p.surface == query.surface)
    return int(session.scalar(statement) or 0)


def _queues(session: Session, query: SummaryQuery, now: dt.datetime) -> list[dict[str, Any]]:
    t = ReviewTaskRow
    statement = select(t.queue, func.count(), func.min(t.created_at))
    statement = _joined(statement, t.moderation_id, query).where(t.status == "pending")
    if query.queue is not None:
        statement = statement.where(t.queue == query.queue)
    found = []
    for queue, depth, oldest in session.execute(statement.group_by(t.queue).order_by(t.queue)):
        if isinstance(oldest, str):  # SQLite's MIN gives the stored text
            oldest = dt.datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else None
        found.append({"queue": queue, "depth": int(depth), "oldest_pending_seconds": _round(age)})
    return found


@dataclass(frozen=True, slots=True)
class Check:
    """One decision a person judged: its weight ``1/π``, the categories the machine flagged
    and those the person found."""

    weight: float
    flagged: frozenset[str]
    found: frozenset[str]
    stratum: tuple[str, str] = ("routed", "")


def _found(outcome: Mapping[str, Any] | None) -> frozenset[str]:
    outcome = outcome or {}
    named = [name for name, right in (outcome.get("labels") or {}).items() if right]
    named += list(outcome.get("missed") or [])
    return frozenset(top_category(str(name)) for name in named)


def checks(session: Session, query: SummaryQuery) -> list[Check]:
    """The judged decisions of the period: the latest decided first pass, escalation or
    quality check of each moderation, with its weight."""
    r, q, c = ReviewRow, QualityDrawRow, DecisionCategoryRow
    statement = select(
        r.moderation_id, r.kind, r.outcome, r.selected, q.probability, q.flagged, q.category, q.bin
    ).outerjoin(q, q.review_id == r.id)
    statement = _joined(statement, r.moderation_id, query).where(
        r.status == "decided",
        r.kind.in_(JUDGED_KINDS),
        *_in_window(ModerationRow.created_at, query),
    )
    latest: dict[str, tuple[Any, ...]] = {}
    for row in session.execute(statement.order_by(r.completed_at, r.id)):
        latest[row[0]] = tuple(row[1:])
    flagged_of: dict[str, set[str]] = defaultdict(set)
    flags = select(c.moderation_id, c.category).join(r, r.moderation_id == c.moderation_id)
    flags = _joined(flags, c.moderation_id, query).where(
        c.flagged.is_(True),
        r.status == "decided",
        r.kind.in_(("first", "escalation")),
        *_in_window(ModerationRow.created_at, query),
    )
    for flagged_id, flagged_category in session.execute(flags):
        flagged_of[flagged_id].add(flagged_category)
    found = []
    for moderation_id, values in latest.items():
        kind, outcome, selected, probability, drawn_flags, category, bin_ = values
        if kind == "qa":
            if probability:  # drawn with this probability, in this stratum
                flagged = frozenset(drawn_flags or [])
                stratum = (str(category), str(bin_))
                found.append(Check(1.0 / probability, flagged, _found(outcome), stratum))
            continue
        routed = flagged_of.get(moderation_id) or {
            top_category(str(m["label"])) for m in selected or [] if m.get("label")
        }
        found.append(Check(1.0, frozenset(routed), _found(outcome)))
    return found


def category_rates(items: list[Check], category: str) -> tuple[WeightedRate, WeightedRate]:
    """(false positive rate, false negative rate) of ``category`` over checked decisions."""
    false_positive = weighted_rate(
        (item.weight, category not in item.found, item.stratum)
        for item in items
        if category in item.flagged
    )
    false_negative = weighted_rate(
        (item.weight, category not in item.flagged, item.stratum)
        for item in items
        if category in item.found
    )
    return false_positive, false_negative


def _categories(session: Session, query: SummaryQuery) -> dict[str, dict[str, Any]]:
    c = DecisionCategoryRow
    statement = select(c.category, func.count()).where(
        c.tenant == query.tenant, c.flagged.is_(True), *_in_window(c.created_at, query)
    )
    if query.surface is not None:
        statement = statement.where(c.surface == query.surface)
    if query.region is not None:
        statement = statement.where(c.region == query.region)
    flagged = dict(session.execute(statement.group_by(c.category)).all())
    judged = checks(session, query)
    names = {label.name for label in taxonomy_v7().by_level(1)}
    names |= set(flagged) | {n for item in judged for n in item.flagged | item.found}
    out = {}
    for name in sorted(names):
        fp, fn = category_rates(judged, name)
        out[name] = {
            "flagged": int(flagged.get(name, 0)),
            "false_positive_rate": _round(fp.rate),
            "false_negative_rate": _round(fn.rate),
            "ci_low": {
                "false_positive_rate": _round(fp.low),
                "false_negative_rate": _round(fn.low),
            },
            "ci_high": {
                "false_positive_rate": _round(fp.high),
                "false_negative_rate": _round(fn.high),
            },
            "sample_size": {
                "false_positive_rate": fp.sample_size,
                "false_negative_rate": fn.sample_size,
            },
        }
    return out
