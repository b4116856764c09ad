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
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

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


def weighted_rate(items: Iterable[Check], z: float = Z_95) -> WeightedRate:
    """The share of ``(weight, hit[, stratum])`` items that hit, weighted, with a Wilson
    interval at the effective sample size (see the module's docstring)."""
    checks = [(float(item[0]), bool(item[1]), item[2] if len(item) > 2 else None) for item in items]
    total = sum(weight for weight, _hit, _stratum in checks)
    if not checks or total <= 0:
        return WeightedRate(None, None, None, 0, 0.0)
    share = sum(weight for weight, hit, _stratum in checks if hit) / total
    kish = total * total / sum(weight * weight for weight, _hit, _stratum in checks)
    effective = kish
    variance = _variance(checks, share, total)
    if 0.0 < share < 1.0 and variance is not None and variance > 0:
        effective = share * (1 - share) / variance
    low, high = wilson(share, effective, z)
    return WeightedRate(share, low, high, len(checks), effective)


def _variance(
    checks: list[tuple[float, bool, Hashable]], share: float, total: float
) -> float | None:
    """The linearised with-replacement variance of the share within strata; None when a
    stratum has a single item (its spread cannot be estimated)."""
    strata: dict[Hashable, list[float]] = defaultdict(list)
    for weight, hit, stratum in checks:
        strata[stratum].append(weight * ((1.0 if hit else 0.0) - share))
    spread = 0.0
    for residuals in strata.values():
        n = len(residuals)
        if n < 2:
            return None
        mean = sum(residuals) / n
        spread += n / (n - 1) * sum((e - mean) ** 2 for e in residuals)
    return spread / (total * total)
