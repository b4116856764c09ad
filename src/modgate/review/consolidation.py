"""Turning several reviewers' verdicts on one item into one outcome (pure functions).

``majority``: the action more than half chose; a tie escalates. ``any_block``: one ``block`` is
enough to block; otherwise as ``majority``. ``unanimous``: every reviewer must agree, or it
escalates. Label judgments and missed labels follow the majority of reviewers whatever the
strategy; each category where reviewers differed is reported as a disagreement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

STRATEGIES = ("majority", "any_block", "unanimous")


@dataclass(frozen=True, slots=True)
class Vote:
    reviewer_id: str
    action: str
    labels: dict[str, bool]
    missed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Consolidated:
    """``action`` is None when the item must go to a senior reviewer."""

    action: str | None
    labels: dict[str, bool]
    missed: list[str]
    disagreements: dict[str, bool] = field(default_factory=dict)  # category -> disagreed
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "labels": self.labels,
            "missed": self.missed,
            "disagreements": self.disagreements,
            "reason": self.reason,
        }


def consolidate(votes: Sequence[Vote], strategy: str) -> Consolidated:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown consolidation strategy {strategy!r}; use one of {STRATEGIES}")
    if not votes:
        raise ValueError("nothing to consolidate")
    total = len(votes)
    actions = Counter(vote.action for vote in votes)
    action, reason = _action(actions, total, strategy)
    labels, label_split = _labels(votes)
    missed_counts = Counter(name for vote in votes for name in set(vote.missed))
    missed = sorted(name for name, count in missed_counts.items() if count * 2 > total)
    disagreements: dict[str, bool] = {}
    if total > 1:
        disagreements["action"] = len(actions) > 1
        disagreements.update(label_split)
        for name, count in missed_counts.items():
            disagreements[name] = disagreements.get(name, False) or count != total
    return Consolidated(action, labels, missed, disagreements, reason)


def _action(actions: Counter[str], total: int, strategy: str) -> tuple[str | None, str]:
    if strategy == "unanimous":
        if len(actions) == 1:
            return next(iter(actions)), "unanimous"
        return None, "reviewers disagree and the queue requires unanimity"
    if strategy == "any_block" and actions.get("block", 0) > 0:
        return "block", "a reviewer blocked"
    top, count = actions.most_common(1)[0]
    if count * 2 > total:
        return top, "majority"
    return None, "no majority: tie between reviewers"


def _labels(votes: Sequence[Vote]) -> tuple[dict[str, bool], dict[str, bool]]:
    total = len(votes)
    names = sorted({name for vote in votes for name in vote.labels})
    result: dict[str, bool] = {}
    split: dict[str, bool] = {}
    for name in names:
        judged = [vote.labels[name] for vote in votes if name in vote.labels]
        right = sum(judged)
        # A tie on a label keeps the flag (the model's call stands until a majority says no).
        result[name] = right * 2 >= len(judged)
        split[name] = 0 < right < len(judged) or len(judged) != total
    return result, split
