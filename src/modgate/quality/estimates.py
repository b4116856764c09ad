"""Rates from weighted checks: Horvitz–Thompson totals and Wilson intervals.

Each checked item carries a weight ``1/π`` (π: its probability of being checked; 1 for items
the policy routed to review, the stored probability for items drawn into the ``qa`` queue). A
rate is the ratio of two Horvitz–Thompson totals over the checked items (the weighted share);
its interval is Wilson's score interval at the effective sample size
``(Σw)² / Σw²`` (Kish), which is the plain count when every weight is 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
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


def weighted_rate(items: Iterable[tuple[float, bool]], z: float = Z_95) -> WeightedRate:
    """The share of ``(weight, hit)`` items that hit, weighted, with a Wilson interval at the
    effective sample size."""
    total = hits = squares = 0.0
    count = 0
    for weight, hit in items:
        total += weight
        squares += weight * weight
        hits += weight if hit else 0.0
        count += 1
    if count == 0 or total <= 0:
        return WeightedRate(None, None, None, 0, 0.0)
    share = hits / total
    effective = total * total / squares
    low, high = wilson(share, effective, z)
    return WeightedRate(share, low, high, count, effective)
