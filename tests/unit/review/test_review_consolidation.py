"""Consolidation strategies as pure functions."""

from __future__ import annotations

import pytest

from modgate.review.consolidation import Vote, consolidate


def votes(
    *actions: str,
    labels: list[dict[str, bool]] | None = None,
    missed: list[tuple[str, ...]] | None = None,
) -> list[Vote]:
    labels = labels or [{} for _ in actions]
    missed = missed or [() for _ in actions]
    return [Vote(f"r{i}", a, labels[i], missed[i]) for i, a in enumerate(actions)]


def test_single_reviewer_decides_and_nothing_is_a_disagreement() -> None:
    result = consolidate(votes("block", labels=[{"Explicit": True}]), "unanimous")
    assert result.action == "block" and result.labels == {"Explicit": True}
    assert result.disagreements == {}


@pytest.mark.parametrize(
    ("strategy", "actions", "expected"),
    [
        ("majority", ("block", "block", "allow"), "block"),
        ("majority", ("block", "allow"), None),
        ("majority", ("block", "allow", "annotate"), None),
        ("any_block", ("allow", "allow", "block"), "block"),
        ("any_block", ("allow", "annotate"), None),
        ("unanimous", ("annotate", "annotate"), "annotate"),
        ("unanimous", ("annotate", "allow", "annotate"), None),
    ],
)
def test_strategies(strategy: str, actions: tuple[str, ...], expected: str | None) -> None:
    assert consolidate(votes(*actions), strategy).action == expected


def test_labels_follow_the_majority_and_splits_are_recorded_per_category() -> None:
    result = consolidate(
        votes(
            "block",
            "block",
            "allow",
            labels=[{"A": True, "B": True}, {"A": True, "B": False}, {"A": True, "B": False}],
            missed=[("Gambling",), ("Gambling",), ()],
        ),
        "majority",
    )
    assert result.labels == {"A": True, "B": False}
    assert result.missed == ["Gambling"]
    assert result.disagreements == {"action": True, "A": False, "B": True, "Gambling": True}


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown consolidation strategy"):
        consolidate(votes("block"), "coin_flip")
