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
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from modgate.moderation.models import ACTIONS
from modgate.moderation.tables import ModerationRow
from modgate.policy.tables import PolicyActivationRow
from modgate.quality.estimates import StratumSums, rate_from_sums
from modgate.quality.tables import CheckCategoryRow, DecisionCategoryRow, VerdictFactRow
from modgate.review.tables import AppealRow, ReviewTaskRow
from modgate.taxonomy import shipped_taxonomy_v7

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
    queues = _queues(session, query, now)
    oldest = [q["oldest_pending_seconds"] for q in queues if q["oldest_pending_seconds"]]
    return {
        "tenant": query.tenant,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
        "surface": query.surface,
        "region": query.region,
        "queue": query.queue,
        **figures(session, query),
        "queue_depth": sum(q["depth"] for q in queues),
        "oldest_pending_seconds": _round(max(oldest)) if oldest else None,
        "queues": queues,
        "categories": _categories(session, query),
    }


def figures(session: Session, query: SummaryQuery) -> dict[str, Any]:
    """The figures of a period: volumes and shares, review time, disagreement, appeals and
    policy changes (the summary without the queues and categories)."""
    counts = _action_counts(session, query)
    total = sum(counts.values())
    shares = {action: _ratio(n, total) for action, n in sorted(counts.items())}
    timed, average, p90 = _review_seconds(session, query)
    compared, disagreed, with_machine, between = _disagreements(session, query)
    resolved, overturned = _appeals(session, query)
    return {
        "total": total,
        "auto_allowed_ratio": shares.get("allow", 0.0 if total else None),
        "auto_blocked_ratio": shares.get("block", 0.0 if total else None),
        "review_ratio": shares.get("review", 0.0 if total else None),
        "actions": shares,
        "counts": dict(sorted(counts.items())),
        "average_review_seconds": _round(average),
        "p90_review_seconds": _round(p90),
        "reviews_timed": timed,
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
    }


# Steps of a series over time: the length of a bucket, and how many buckets end at "now".
STEPS: dict[str, tuple[dt.timedelta, int]] = {
    "hour": (dt.timedelta(hours=1), 48),
    "day": (dt.timedelta(days=1), 30),
    "week": (dt.timedelta(weeks=1), 12),
}


def series(
    session: Session, query: SummaryQuery, step: str, now: dt.datetime
) -> list[dict[str, Any]]:
    """The period's figures bucket by bucket (``STEPS``), the last bucket ending at the next
    whole hour after ``now``; ``query``'s own period is ignored."""
    length, count = STEPS[step]
    end = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    if step != "hour":
        end = end.replace(hour=0) + dt.timedelta(days=1)
    buckets = []
    for index in range(count, 0, -1):
        until = end - (index - 1) * length
        since = until - length
        bucket = replace(query, since=since, until=until)
        buckets.append({"since": since.isoformat(), **figures(session, bucket)})
    return buckets


def _action_counts(session: Session, query: SummaryQuery) -> dict[str, int]:
    """Decisions per machine action: one count per action, each a range of the index on
    (tenant, action, created_at, surface), so the database reads no moderation row; with a
    region (in the moderations' JSON), one pass over the period's rows instead."""
    m = ModerationRow
    conditions = [*_of_moderations(query), *_in_window(m.created_at, query)]
    if query.region is not None:
        grouped = select(m.action, func.count()).where(*conditions, m.action.is_not(None))
        return {str(a): int(n) for a, n in session.execute(grouped.group_by(m.action))}
    counts = {}
    for action in ACTIONS:
        found = session.scalar(select(func.count()).where(*conditions, m.action == action))
        if found:
            counts[action] = int(found)
    return counts


def _facts(table: Any, query: SummaryQuery, stamp: Any) -> list[ColumnElement[bool]]:
    """The tenant, period, surface and region conditions on a facts table."""
    conditions: list[ColumnElement[bool]] = [table.tenant == query.tenant]
    conditions += _in_window(stamp, query)
    if query.surface is not None:
        conditions.append(table.surface == query.surface)
    if query.region is not None:
        conditions.append(table.region == query.region)
    return conditions


def _of_verdicts(table: Any, query: SummaryQuery) -> list[ColumnElement[bool]]:
    conditions = _facts(table, query, table.created_at) + [table.kind.in_(JUDGED_KINDS)]
    if query.queue is not None:
        conditions.append(table.queue == query.queue)
    return conditions


def _review_seconds(
    session: Session, query: SummaryQuery
) -> tuple[int, float | None, float | None]:
    """(verdicts timed, average seconds, nearest-rank 90th percentile)."""
    f = VerdictFactRow
    conditions = [*_of_verdicts(f, query), f.seconds.is_not(None)]
    count, average = session.execute(
        select(func.count(), func.avg(f.seconds)).where(*conditions)
    ).one()
    if not count:
        return 0, None, None
    rank = max(1, math.ceil(0.9 * count))
    ordered = select(f.seconds).where(*conditions).order_by(f.seconds)
    p90 = session.scalar(ordered.offset(rank - 1).limit(1))
    return int(count), float(average), float(p90) if p90 is not None else None


def _disagreements(session: Session, query: SummaryQuery) -> tuple[int, int, int, int]:
    """(comparisons, disagreements, disagreements with the machine, between reviewers)."""
    f = VerdictFactRow
    verdicts, with_machine = session.execute(
        select(func.count(), func.sum(case((f.disagrees, 1), else_=0))).where(
            *_of_verdicts(f, query)
        )
    ).one()
    first, second = aliased(VerdictFactRow), aliased(VerdictFactRow)
    pairs, between = session.execute(
        select(func.count(), func.sum(case((first.signature != second.signature, 1), else_=0)))
        .select_from(first)
        .join(
            second,
            and_(first.review_id == second.review_id, first.verdict_id < second.verdict_id),
        )
        .where(*_of_verdicts(first, query), *_in_window(second.created_at, query))
    ).one()
    compared = int(verdicts or 0) + int(pairs or 0)
    machine, reviewers = int(with_machine or 0), int(between or 0)
    return compared, machine + reviewers, machine, reviewers


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


def _categories(session: Session, query: SummaryQuery) -> dict[str, dict[str, Any]]:
    c = DecisionCategoryRow
    statement = select(c.category, func.count()).where(
        c.tenant == query.tenant, c.flagged, *_in_window(c.created_at, query)
    )
    if query.surface is not None:
        statement = statement.where(c.surface == query.surface)
    if query.region is not None:
        statement = statement.where(c.region == query.region)
    flagged = dict(session.execute(statement.group_by(c.category)).all())
    k = CheckCategoryRow
    sums = (
        select(
            k.category,
            k.stratum,
            k.flagged,
            k.found,
            func.count(),
            func.sum(k.weight),
            func.sum(k.weight * k.weight),
        )
        .where(*_facts(k, query, k.created_at))
        .group_by(k.category, k.stratum, k.flagged, k.found)
    )
    positives: dict[str, dict[str, StratumSums]] = defaultdict(lambda: defaultdict(StratumSums))
    findings: dict[str, dict[str, StratumSums]] = defaultdict(lambda: defaultdict(StratumSums))
    for category, stratum, was_flagged, was_found, n, w, w2 in session.execute(sums):
        if was_flagged:  # a false positive when the person did not find it
            positives[category][stratum].add(int(n), float(w), float(w2), not was_found)
        if was_found:  # a false negative when the machine did not flag it
            findings[category][stratum].add(int(n), float(w), float(w2), not was_flagged)
    # The shipped categories always; a custom label only with this query's own figures (a
    # top-level custom label of another tenant must not show up, even at zero).
    names = {label.name for label in shipped_taxonomy_v7().by_level(1)}
    names |= set(flagged) | set(positives) | set(findings)
    out = {}
    for name in sorted(names):
        fp, fn = rate_from_sums(positives[name]), rate_from_sums(findings[name])
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
