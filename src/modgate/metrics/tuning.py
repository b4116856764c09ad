"""The history threshold tuning reads: one tenant's checked decisions as labelled examples, and
every decision's category confidences as the traffic the thresholds would act on.

A checked decision is either a review the policy routed (its moderation's action is ``review``
and the reviewers' verdict is kept on it; weight 1, stratum ``routed``) or a blind quality
check that was decided (``quality_draws`` beside its ``qa`` review; weight ``1/π`` with the
probability stored when it was drawn, stratum ``category/bin`` as the metrics' estimates use).
Each example's confidences are its ``decision_categories`` rows; what the person found is
``modgate.quality.record.found_categories`` of the verdict or the check's outcome — the same
reading the metrics' error rates make. Appeals are not examples: who appeals is not a sample.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.orm import Session

from modgate.db.dialect import dialect_of
from modgate.moderation.tables import ModerationRow
from modgate.policy.tuning import BUCKETS, LabelledExample, Traffic, TuningQuery
from modgate.quality.record import ROUTED, found_categories
from modgate.quality.tables import DecisionCategoryRow, QualityDrawRow
from modgate.review.tables import ReviewRow

CHUNK = 500  # moderation ids per IN (...) when reading their categories


def _of_moderations(query: TuningQuery) -> list[ColumnElement[bool]]:
    m = ModerationRow
    conditions: list[ColumnElement[bool]] = [m.tenant == query.tenant]
    if query.since is not None:
        conditions.append(m.created_at >= query.since)
    if query.until is not None:
        conditions.append(m.created_at < query.until)
    if query.surface is not None:
        conditions.append(m.surface == query.surface)
    return conditions


def labelled_examples(session: Session, query: TuningQuery) -> list[LabelledExample]:
    """The tenant's checked decisions of the period (see the module's docstring)."""
    m = ModerationRow
    checked: dict[str, tuple[frozenset[str], float, str]] = {}
    routed = select(m.id, m.verdict).where(
        *_of_moderations(query), m.action == "review", m.verdict.is_not(None)
    )
    for moderation_id, verdict in session.execute(routed):
        checked[moderation_id] = (frozenset(found_categories(verdict)), 1.0, ROUTED)
    d, r = QualityDrawRow, ReviewRow
    drawn = (
        select(d.moderation_id, d.probability, d.category, d.bin, r.outcome)
        .join(r, r.id == d.review_id)
        .join(m, m.id == d.moderation_id)
        .where(*_of_moderations(query), r.status == "decided", d.probability > 0)
    )
    for moderation_id, probability, category, bin_, outcome in session.execute(drawn):
        found = frozenset(found_categories(outcome))
        checked[moderation_id] = (found, 1.0 / float(probability), f"{category}/{bin_}")
    confidences = _confidences(session, list(checked))
    return [
        LabelledExample(confidences.get(moderation_id, {}), found, weight, stratum)
        for moderation_id, (found, weight, stratum) in sorted(checked.items())
    ]


def _confidences(session: Session, ids: Sequence[str]) -> dict[str, dict[str, float]]:
    c = DecisionCategoryRow
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = select(c.moderation_id, c.category, c.confidence).where(c.moderation_id.in_(chunk))
        for moderation_id, category, confidence in session.execute(rows):
            found[moderation_id][category] = float(confidence)
    return found


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
    if query.since is not None:
        conditions.append(c.created_at >= query.since)
    if query.until is not None:
        conditions.append(c.created_at < query.until)
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
