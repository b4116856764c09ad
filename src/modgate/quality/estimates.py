"""Rates from weighted checks: Horvitz–Thompson totals and Wilson intervals.

Each checked item carries a weight ``w = 1/π`` (π: its probability of being checked; 1 for
items the policy routed to review, the stored probability for items drawn into the ``qa``
queue) and its stratum. A rate is the ratio of two Horvitz–Thompson totals over the checked
items (the weighted share ``p``). Its variance is the linearised, with-replacement estimate
within strata: ``Σ_h n_h/(n_h-1) Σ_{i∈h} (e_i - ē_h)² / (Σw)²`` with ``e_i = w_i (y_i - p)``,
so a design that checks hard cases more often is credited for it. The interval is Wilson's
score interval at the effective sample size ``p(1-p)/variance``; when that cannot be had (a
share of 0 or 1, strata of one item) at Kish's ``(Σw)²/Σw²``, which is the plain count when
every weight is 1.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Z_95 = 1.959963984540054


def wilson(share: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for a share observed on ``n`` (possibly effective) trials."""
    if n <= 0:
        return 0.0, 1.0
    z2 = z * z
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class WeightedRate:
    """A weighted share with its interval; ``rate``/``low``/``high`` are None without data."""

    rate: float | None
    low: float | None
    high: float | None
    sample_size: int
    effective_size: float


Check = tuple[float, bool] | tuple[float, bool, Hashable]


@dataclass
class StratumSums:
    """The sums a stratum's checks contribute: count, Σw, Σw·y, Σw², Σw²·y (y: hit or not),
    which a database can add up as well as Python."""

    n: int = 0
    w: float = 0.0
    wy: float = 0.0
    w2: float = 0.0
    w2y: float = 0.0

    def add(self, n: int, w: float, w2: float, hit: bool) -> None:
        self.n += n
        self.w += w
        self.w2 += w2
        if hit:
            self.wy += w
            self.w2y += w2


def weighted_rate(items: Iterable[Check], z: float = Z_95) -> WeightedRate:
    """The share of ``(weight, hit[, stratum])`` items that hit, weighted, with a Wilson
    interval at the effective sample size (see the module's docstring)."""
    strata: dict[Hashable, StratumSums] = defaultdict(StratumSums)
    for item in items:
        weight = float(item[0])
        strata[item[2] if len(item) > 2 else None].add(1, weight, weight * weight, bool(item[1]))
    return rate_from_sums(strata, z)


def rate_from_sums(strata: Mapping[Any, StratumSums], z: float = Z_95) -> WeightedRate:
    """``weighted_rate`` from each stratum's sums."""
    count = sum(s.n for s in strata.values())
    total = sum(s.w for s in strata.values())
    if count == 0 or total <= 0:
        return WeightedRate(None, None, None, 0, 0.0)
    share = sum(s.wy for s in strata.values()) / total
    effective = total * total / sum(s.w2 for s in strata.values())  # Kish
    variance = _variance(strata.values(), share, total)
    if 0.0 < share < 1.0 and variance is not None and variance > 0:
        effective = share * (1 - share) / variance
    low, high = wilson(share, effective, z)
    return WeightedRate(share, low, high, count, effective)


def _variance(strata: Iterable[StratumSums], share: float, total: float) -> float | None:
    """The linearised with-replacement variance of the share within strata, from the sums of
    the residuals ``e = w (y - p)``; None when a stratum has a single check (its spread cannot
    be estimated)."""
    spread = 0.0
    for s in strata:
        if s.n < 2:
            return None
        sum_e = s.wy - share * s.w
        sum_e2 = s.w2y * (1 - 2 * share) + share * share * s.w2
        spread += s.n / (s.n - 1) * max(sum_e2 - sum_e * sum_e / s.n, 0.0)
    return spread / (total * total)
