"""Threshold tuning: the weighted precision–recall curve against sums worked out by hand, the
threshold each target picks, a population whose truth is known, and the candidate policy."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from policy_helpers import POLICIES

from modgate.errors import InvalidParameterException
from modgate.policy import load_policy
from modgate.policy.cli_tune import parse_targets
from modgate.policy.loader import policy_from_text
from modgate.policy.tuning import (
    BUCKETS,
    INSUFFICIENT_HISTORY,
    NO_RULE,
    TARGET_UNREACHABLE,
    TUNED,
    UNCHANGED,
    Bands,
    LabelledExample,
    Targets,
    Traffic,
    curves,
)
from modgate.policy.tuning_policy import candidate_source
from modgate.policy.tuning_report import recommend, tune

Z = 1.959963984540054
V = "Violence"


def example(confidence: float | None, found: bool, weight: float = 1.0, stratum: str = "routed"):
    named = {V: confidence} if confidence is not None else {}
    return LabelledExample(named, frozenset({V} if found else ()), weight, stratum)


# conf, found, weight (1/π), stratum
HAND = [
    example(90, True),
    example(80, False),
    example(60, True, 4.0, "Violence/50"),  # a blind check drawn with π = 1/4
    example(30, True),
    example(None, True, 2.0, "none/none"),  # missed by detection, found by the person
    example(70, False),
]


def test_the_weighted_curve_matches_sums_by_hand() -> None:
    curve = curves(HAND)[V]
    assert (curve.examples, curve.found) == (6, 4)
    # t = 70: flagged 90 (found), 80, 70 → precision 1/3; found weight 1+4+1+2 = 8, of it 1
    assert curve.at(70).precision.rate == pytest.approx(1 / 3)
    assert curve.at(70).recall.rate == pytest.approx(1 / 8)
    # t = 50: the blind check (weight 4) joins → 5/7 and 5/8
    assert curve.at(50).precision.rate == pytest.approx(5 / 7)
    assert curve.at(50).recall.rate == pytest.approx(5 / 8)
    # t = 0: everything named is flagged; the missed one never is
    assert curve.at(0).precision.rate == pytest.approx(6 / 8)
    assert curve.at(0).recall.rate == pytest.approx(6 / 8)
    # above every confidence nothing is flagged: no precision, no recall
    assert curve.at(91).precision.rate is None
    assert curve.at(91).recall.rate == 0.0


def test_a_perfect_share_has_wilsons_lower_bound_at_the_plain_count() -> None:
    """Ten routed reviews, all confirmed: the share is 1 and the effective size is 10, so the
    lower bound is Wilson's n / (n + z²)."""
    curve = curves([example(95, True) for _ in range(10)])[V]
    point = curve.at(90)
    assert point.precision.rate == 1.0
    assert point.precision.low == pytest.approx(10 / (10 + Z * Z))
    # weight 4 on each of ten (a blind check at π = 1/4): the same effective size, Kish's
    assert curves([example(95, True, 4.0, "s") for _ in range(10)])[V].at(90).precision.low == (
        pytest.approx(10 / (10 + Z * Z))
    )


def _many(spec: list[tuple[int, bool, int]]) -> list[LabelledExample]:
    return [example(c, f) for c, f, n in spec for _ in range(n)]


def test_the_block_threshold_is_the_lowest_whose_lower_bound_meets_the_target() -> None:
    # 40 confirmed at 95, 40 confirmed at 85 with 1 wrong, 20 at 75 half wrong.
    history = _many([(95, True, 40), (85, True, 40), (85, False, 1), (75, True, 10)])
    history += _many([(75, False, 10), (40, False, 30)])
    curve = curves(history)[V]
    # At 86-95 precision is 40/40 → low 40/(40+z²) = 0.912; at 76-85 it is 80/81, whose
    # lower bound (Wilson at 81) is 0.933; at 75 and below half-wrong items pull it down.
    low_85 = curve.at(85).precision.low
    assert low_85 is not None and 0.93 < low_85 < 0.94
    assert curve.at(90).precision.low == pytest.approx(40 / (40 + Z * Z))
    target = Targets(precision=0.93)
    rule = load_policy(POLICIES / "seed.yaml").base.categories["Explicit"]
    found = recommend(V, rule, curve, target)
    assert found.status == TUNED
    assert found.proposed == Bands(block=76, review=None, annotate=0)
    # the seed's Explicit rule only blocks: a recall target leaves it be
    assert recommend(V, rule, curve, Targets(recall=0.5)).status == UNCHANGED
    # nothing reaches 0.99 at 95 % confidence from 81 checks
    assert recommend(V, rule, curve, Targets(precision=0.99)).status == TARGET_UNREACHABLE


def test_the_review_threshold_meets_recall_or_the_review_budget() -> None:
    history = _many([(95, True, 40), (60, True, 40), (30, True, 20), (20, False, 40)])
    curve_without_traffic = curves(history)[V]
    rule = load_policy(POLICIES / "seed.yaml").base.categories[V]  # review 70, annotate 0
    # recall: found 100, 40 at 95, 40 at 60, 20 at 30 — a threshold of 31-60 catches 80 %
    found = recommend(V, rule, curve_without_traffic, Targets(recall=0.7))
    assert found.status == TUNED and found.proposed == Bands(None, 60, 0)
    # a review budget needs the traffic: 1000 decisions, 100 at 95, 100 at 60, 50 at 30
    histogram = [0] * BUCKETS
    histogram[96], histogram[61], histogram[31] = 100, 100, 50
    traffic = Traffic(1000, {V: histogram})
    curve = curves(history, traffic)[V]
    assert curve.at(61).share == pytest.approx(0.1) and curve.at(60).share == pytest.approx(0.2)
    # no block band: the review band is everything from the review threshold up
    budget = recommend(V, rule, curve, Targets(max_review_ratio=0.15))
    assert budget.proposed == Bands(None, 61, 0)  # the lowest that keeps ≤ 15 %
    assert recommend(V, rule, curve, Targets(recall=0.7, max_review_ratio=0.15)).status == (
        TARGET_UNREACHABLE
    )


def test_too_little_history_or_no_rule_leaves_thresholds_alone() -> None:
    policy = load_policy(POLICIES / "seed.yaml")
    found = tune(policy, curves(HAND, include=["Gambling"]), Targets(precision=0.9))
    violence = found.recommendations[V]
    assert violence.status == INSUFFICIENT_HISTORY and violence.proposed == violence.current
    assert "6 checked decisions" in violence.reason
    assert found.recommendations["Gambling"].status == INSUFFICIENT_HISTORY
    assert found.changes == {}
    assert recommend("Alcohol", None, curves(HAND)[V], Targets(precision=0.9)).status == NO_RULE


def test_on_a_population_of_known_truth_the_threshold_meets_the_target() -> None:
    """20 000 decisions with a known truth; the review band (60-90) is routed to review, the
    rest checked blindly with π = 0.05. The recommended block threshold's precision over the
    whole population (not the sample) meets the target."""
    rng = random.Random(7)
    population = []
    for _ in range(20_000):
        present = rng.random() < 0.2
        confidence = min(100.0, rng.gauss(85, 8)) if present else max(0.0, rng.gauss(40, 12))
        population.append((confidence, present))
    examples = []
    for confidence, present in population:
        if 60 <= confidence < 90:
            examples.append(example(confidence, present))
        elif rng.random() < 0.05:
            stratum = "Violence/high" if confidence >= 90 else "Violence/low"
            examples.append(example(confidence, present, 20.0, stratum))
    curve = curves(examples)[V]
    found = recommend(V, _rule(), curve, Targets(precision=0.97))
    block = found.proposed
    assert found.status == TUNED and block is not None and block.block is not None
    flagged = [present for confidence, present in population if confidence >= block.block]
    assert sum(flagged) / len(flagged) >= 0.97
    # and it is not needlessly high: the lowest threshold truly at 0.97 is within 10 points
    truly = min(
        t
        for t in range(101)
        if (f := [p for c, p in population if c >= t]) and sum(f) / len(f) >= 0.97
    )
    assert truly <= block.block <= truly + 10


def _rule():
    text = "policy: t\ntaxonomy: 7\ncategories:\n  Violence: {block: 95, review: 60, annotate: 0}\n"
    return policy_from_text(text).base.categories[V]


def test_the_candidate_is_the_policy_with_tuned_numbers_and_comments(tmp_path) -> None:
    policy = load_policy(POLICIES / "seed.yaml")
    changes = {"Explicit": Bands(block=94, review=None, annotate=0), V: Bands(None, 65, 0)}
    text = candidate_source(policy, changes, ["Tuned for a test", ""], {"Explicit": "812 checked"})
    assert text.startswith("# Tuned for a test\n#\n# The seed policy")
    assert "    block: 94  # tuned from 90: 812 checked" in text
    assert "    review: 65  # tuned from 70" in text
    candidate = tmp_path / "seed.tuned.yaml"
    candidate.write_text(text)
    loaded = load_policy(candidate)
    assert loaded.base.categories["Explicit"].block == 94
    assert loaded.base.categories[V].review == 65
    assert loaded.base.categories["Hate Symbols"].block == 85  # the rest as written
    assert loaded.version != policy.version
    # every other line is as written
    assert Counter(policy.source.splitlines()) - Counter(text.splitlines()) == Counter(
        ["    block: 90", "    review: 70"]
    )


def test_targets_are_shares_and_at_least_one_is_given() -> None:
    found = parse_targets(["precision=0.98", "Recall = 0.9"], 0.05, 0.9)
    assert found == Targets(0.98, 0.9, 0.05, 0.9)
    assert found.z == pytest.approx(1.6448536)
    for targets, ratio, confidence, message in [
        ([], None, 0.95, "give --target"),
        (["precision=1.5"], None, 0.95, "--target precision must be a share"),
        (["precision=x"], None, 0.95, "'x' is not a number"),
        (["f1=0.9"], None, 0.95, "name precision or recall"),
        ([], 2.0, 0.95, "--max-review-ratio must be a share"),
        ([], 0.05, 1.0, "--confidence must be below 1"),
    ]:
        with pytest.raises(InvalidParameterException, match=re.escape(message)):
            parse_targets(targets, ratio, confidence)


def test_a_threshold_already_at_the_recommendation_is_unchanged() -> None:
    history = _many([(95, True, 40), (85, True, 40), (85, False, 1), (75, True, 10)])
    history += _many([(75, False, 10), (40, False, 30)])
    text = "policy: t\ntaxonomy: 7\ncategories:\n  Violence: {block: 76, annotate: 0}\n"
    rule = policy_from_text(text).base.categories[V]
    found = recommend(V, rule, curves(history)[V], Targets(precision=0.93))
    assert (found.status, found.reason) == (UNCHANGED, "block stays 76")
