"""Which top-level categories a decision saw and flagged, and the stratified draw of automatic
decisions for a blind check.

A decision's stratum is its strongest category (the top-level category of its most confident
label; ``none`` when detection named nothing) and the confidence bin that confidence falls in.
Each bin has its own share (``rates``: keys are the bins' lower bounds in percent, plus
``none``), so the bins around the policy's thresholds can be drawn more often than the sure
cases; ``category_rates`` multiplies the share of a category. The probability an item had is
returned with the draw and stored with it: estimates weigh its check by ``1/probability``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from modgate.taxonomy import taxonomy_v7
from modgate.taxonomy.detections import Label

NONE = "none"
AUTOMATIC_ACTIONS = frozenset({"allow", "annotate", "block"})


@dataclass(frozen=True, slots=True)
class CategoryFlag:
    """One top-level category of one decision: the highest confidence of its labels and
    whether the decision flagged it."""

    category: str
    confidence: float
    flagged: bool


@dataclass(frozen=True, slots=True)
class Draw:
    """An automatic decision drawn for a blind check, with its stratum and probability."""

    category: str
    bin: str
    probability: float
    flagged: tuple[str, ...]


@cache
def top_category(label: str) -> str:
    """The top-level category of ``label`` (the label itself when the taxonomy lacks it);
    remembered, as label names are few."""
    taxonomy = taxonomy_v7()
    if label in taxonomy:
        return taxonomy.top_level(label).name
    return label


def category_flags(labels: Iterable[Label], decision: Mapping[str, Any]) -> list[CategoryFlag]:
    """The categories a decision saw (``labels``, each once at its peak confidence) and
    flagged (a match in ``decision["matched"]`` whose action is not ``allow``), strongest
    first."""
    peaks: dict[str, float] = {}
    for label in labels:
        category = top_category(label.name)
        peaks[category] = max(peaks.get(category, 0.0), float(label.confidence))
    flagged: set[str] = set()
    for match in decision.get("matched") or ():
        name = match.get("label")
        if name and match.get("action", "allow") != "allow":
            category = top_category(str(name))
            flagged.add(category)
            confidence = match.get("confidence")
            peaks.setdefault(category, float(confidence) if confidence is not None else 0.0)
    found = [CategoryFlag(c, peaks[c], c in flagged) for c in peaks]
    return sorted(found, key=lambda item: (-item.confidence, item.category))


def _bounds(rates: Mapping[str, float]) -> list[tuple[float, str]]:
    bounds = []
    for key in rates:
        if key == NONE:
            continue
        try:
            bounds.append((float(key), key))
        except ValueError as exc:
            raise ValueError(
                f"quality sampling bin {key!r}: use a lower bound in percent (0-100) or 'none'"
            ) from exc
    return sorted(bounds)


@dataclass
class QualitySampler:
    """Draws automatic decisions for the blind ``qa`` queue.

    ``rates``: the share drawn per confidence bin (keys: lower bounds in percent, and
    ``none`` for decisions without labels); ``category_rates``: a multiplier per category
    (default 1). An empty ``rates`` (or all zero) draws nothing."""

    rates: Mapping[str, float] = field(default_factory=dict)
    category_rates: Mapping[str, float] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.SystemRandom)

    def __post_init__(self) -> None:
        self._bounds = _bounds(self.rates)
        for key, share in [*self.rates.items(), *self.category_rates.items()]:
            if share < 0:
                raise ValueError(f"quality sampling share of {key!r} must not be negative")

    @property
    def enabled(self) -> bool:
        return any(share > 0 for share in self.rates.values())

    def stratum(self, flags: Sequence[CategoryFlag]) -> tuple[str, str]:
        """(category, bin) of a decision whose categories are ``flags`` (strongest first)."""
        if not flags:
            return NONE, NONE
        strongest = flags[0]
        chosen = NONE
        for bound, key in self._bounds:
            if strongest.confidence >= bound:
                chosen = key
        return strongest.category, chosen

    def probability(self, category: str, bin_: str) -> float:
        share = self.rates.get(bin_, 0.0) * self.category_rates.get(category, 1.0)
        return min(max(share, 0.0), 1.0)

    def draw(self, action: str | None, flags: Sequence[CategoryFlag]) -> Draw | None:
        """A draw for an automatic decision (``allow``, ``annotate``, ``block``) with its
        stratum's probability, or None when it is not drawn (or not automatic)."""
        if action not in AUTOMATIC_ACTIONS or not self.enabled:
            return None
        category, bin_ = self.stratum(flags)
        probability = self.probability(category, bin_)
        if probability <= 0 or self.rng.random() >= probability:
            return None
        flagged = tuple(sorted(flag.category for flag in flags if flag.flagged))
        return Draw(category, bin_, probability, flagged)
