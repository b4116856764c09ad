"""Rates from weighted checks: on a synthetic population whose error rates are known, the
intervals cover the truth at about their stated rate when the checks are drawn by stratum
with unequal probabilities; and the estimates are the hand-computed weighted shares."""

from __future__ import annotations

import random

import pytest

from modgate.quality.estimates import weighted_rate, wilson

# Strata of flagged decisions: (size, inclusion probability, share that is a false positive).
# The sure cases are many, rarely checked and rarely wrong; the ones near a threshold are few,
# often checked and often wrong, as a stratified design draws them.
STRATA = ((20_000, 0.01, 0.02), (4_000, 0.05, 0.10), (1_000, 0.25, 0.40))
DRAWS = 400


def _population(rng: random.Random) -> list[tuple[float, bool]]:
    """(inclusion probability, wrong) per item; exactly ``share`` of each stratum wrong."""
    items: list[tuple[float, bool]] = []
    for size, probability, share in STRATA:
        wrong = round(size * share)
        items += [(probability, i < wrong) for i in range(size)]
    rng.shuffle(items)
    return items


def test_the_95_percent_intervals_cover_the_true_rate_about_95_times_in_100() -> None:
    rng = random.Random(20260401)
    population = _population(rng)
    truth = sum(wrong for _p, wrong in population) / len(population)
    covered = 0
    for _ in range(DRAWS):
        checks = [(1 / p, wrong, p) for p, wrong in population if rng.random() < p]
        found = weighted_rate(checks)
        assert found.low is not None and found.high is not None
        covered += found.low <= truth <= found.high
    coverage = covered / DRAWS
    # 400 draws: a true 95 % shows between about 92 % and 97 % (two to three standard
    # errors); a ratio estimate on a few dozen checks runs a little under its rate.
    assert 0.90 <= coverage <= 0.985, coverage


def test_an_unweighted_share_ignoring_the_design_misses_the_truth() -> None:
    """The reason for the weights: the checked items over-represent the hard cases."""
    rng = random.Random(7)
    population = _population(rng)
    truth = sum(wrong for _p, wrong in population) / len(population)
    checks = [(1 / p, wrong) for p, wrong in population if rng.random() < p]
    naive = weighted_rate((1.0, wrong) for _w, wrong in checks)
    weighted = weighted_rate(checks)
    assert naive.rate is not None and weighted.rate is not None
    assert abs(naive.rate - truth) > 3 * abs(weighted.rate - truth)


def test_the_weighted_share_and_its_effective_size_by_hand() -> None:
    found = weighted_rate([(1.0, False), (1.0, True), (2.0, False)])
    assert found.rate == 0.25  # 1 of 4 weighted
    assert found.sample_size == 3
    # One stratum: residuals w(y - p) are -0.25, 0.75, -0.5 (mean 0); variance
    # 3/2 × (0.0625 + 0.5625 + 0.25) / 4² = 0.08203125; effective size 0.1875 / 0.08203125.
    assert found.effective_size == pytest.approx(0.1875 / 0.08203125)
    assert (found.low, found.high) == wilson(0.25, 0.1875 / 0.08203125)
    # A share of 0: Kish's (Σw)² / Σw² = 16 / 6.
    assert weighted_rate([(1.0, False), (1.0, False), (2.0, False)]).effective_size == (
        pytest.approx(16 / 6)
    )
    assert weighted_rate([]).rate is None


def test_wilson_matches_the_textbook_values() -> None:
    # 10 successes in 20 trials: 0.2993 to 0.7007 (Wilson 1927; Newcombe 1998, table I).
    low, high = wilson(0.5, 20)
    assert (round(low, 4), round(high, 4)) == (0.2993, 0.7007)
    low, high = wilson(0.0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
