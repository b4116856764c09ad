"""The history threshold tuning reads: one tenant's checked decisions as labelled examples, and
every decision's category confidences as the traffic the thresholds would act on.

A checked decision is either a review the policy routed (its moderation's action is ``review``
and the reviewers' verdict is kept on it; weight 1, stratum ``routed``) or a blind quality
check that was decided (``quality_draws`` beside its ``qa`` review; weight ``1/π`` with the
probability stored when it was drawn, stratum ``category/bin`` as the metrics' estimates use).
Each example's confidences are its ``decision_categories`` rows; what the person found, its
``check_categories`` rows marked found (``modgate.quality.record.found_categories`` of the
verdict or the check's outcome, written with it) — the same facts the metrics' error rates
count. Appeals are not examples: who appeals is not a sample.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.orm import Session

from modgate.db.dialect import dialect_of
from modgate.moderation.tables import ModerationRow
from modgate.policy.tuning import BUCKETS, LabelledExample, Traffic, TuningQuery
from modgate.quality.record import ROUTED
from modgate.quality.tables import CheckCategoryRow, DecisionCategoryRow, QualityDrawRow
from modgate.review.tables import ReviewRow


def _of_moderations(query: TuningQuery) -> list[ColumnElement[bool]]:
    m = ModerationRow
    conditions: list[ColumnElement[bool]] = [m.tenant == query.tenant]
    conditions += _in_window(m.created_at, query)
    if query.surface is not None:
        conditions.append(m.surface == query.surface)
    return conditions


def labelled_examples(session: Session, query: TuningQuery) -> list[LabelledExample]:
    """The tenant's checked decisions of the period (see the module's docstring): three
    queries — routed reviews and blind checks, each with its categories' confidences, and what
    people found — none of which reads a verdict's JSON."""
    m, c, d, r = ModerationRow, DecisionCategoryRow, QualityDrawRow, ReviewRow
    with_categories = (c.moderation_id == m.id,)
    routed = (
        select(m.id, c.category, c.confidence)
        .outerjoin(c, *with_categories)
        .where(*_of_moderations(query), m.action == "review", m.verdict.is_not(None))
    )
    # A draw is made once its item is decided, never before it was submitted: the draws' own
    # tenant and time let the database start from their index rather than every moderation.
    drawn = (
        select(d.moderation_id, d.probability, d.category, d.bin, c.category, c.confidence)
        .join(r, r.id == d.review_id)
        .join(m, m.id == d.moderation_id)
        .outerjoin(c, *with_categories)
        .where(d.tenant == query.tenant, *_of_moderations(query), r.status == "decided")
        .where(d.probability > 0, *_in_window(d.created_at, replace(query, until=None)))
    )
    checked: dict[str, tuple[float, str]] = {}
    confidences: dict[str, dict[str, float]] = defaultdict(dict)
    for moderation_id, category, confidence in session.execute(routed):
        checked[moderation_id] = (1.0, ROUTED)
        if category is not None:
            confidences[moderation_id][category] = float(confidence)
    for moderation_id, probability, drawn_from, bin_, category, confidence in session.execute(
        drawn
    ):
        checked[moderation_id] = (1.0 / float(probability), f"{drawn_from}/{bin_}")
        if category is not None:
            confidences[moderation_id][category] = float(confidence)
    found = _found(session, query)
    return [
        LabelledExample(
            confidences.get(moderation_id, {}),
            frozenset(found.get(moderation_id, ())),
            weight,
            stratum,
        )
        for moderation_id, (weight, stratum) in sorted(checked.items())
    ]


def _found(session: Session, query: TuningQuery) -> dict[str, set[str]]:
    """What the people found in each checked decision of the period: its ``check_categories``
    rows marked found (written from the verdict or the check's outcome by
    ``modgate.quality.record.record_check``)."""
    k = CheckCategoryRow
    conditions: list[ColumnElement[bool]] = [k.tenant == query.tenant, k.found.is_(True)]
    conditions += _in_window(k.created_at, query)
    if query.surface is not None:
        conditions.append(k.surface == query.surface)
    found: dict[str, set[str]] = defaultdict(set)
    for moderation_id, category in session.execute(
        select(k.moderation_id, k.category).where(*conditions)
    ):
        found[moderation_id].add(category)
    return found


def _in_window(column: Any, query: TuningQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.since is not None:
        conditions.append(column >= query.since)
    if query.until is not None:
        conditions.append(column < query.until)
    return conditions


def traffic(session: Session, query: TuningQuery, categories: Iterable[str] = ()) -> Traffic:
    """How many decisions the period has, and per category how many reached each whole
    confidence: counted by the database, a histogram of at most 101 buckets a category."""
    m, c = ModerationRow, DecisionCategoryRow
    total = session.scalar(
        select(func.count()).where(*_of_moderations(query), m.action.is_not(None))
    )
    # SQLite's CAST truncates, which is the floor of a confidence (never negative);
    # PostgreSQL's rounds, so it is given the floor.
    whole: Any = (
        cast(c.confidence, Integer)
        if dialect_of(session) == "sqlite"
        else cast(func.floor(c.confidence), Integer)
    )
    conditions: list[ColumnElement[bool]] = [c.tenant == query.tenant]
    conditions += _in_window(c.created_at, query)
    if query.surface is not None:
        conditions.append(c.surface == query.surface)
    wanted = list(categories)
    if wanted:
        conditions.append(c.category.in_(wanted))
    counts = select(c.category, whole, func.count()).where(*conditions).group_by(c.category, whole)
    histograms: dict[str, list[int]] = defaultdict(lambda: [0] * BUCKETS)
    for category, value, count in session.execute(counts):
        bucket = min(100, max(0, int(value or 0))) + 1
        histograms[category][bucket] += int(count)
    return Traffic(int(total or 0), dict(histograms))
