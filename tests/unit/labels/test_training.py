"""Training a custom-label head: separable examples give a calibrated head that separates
them, the fit in the examples' span is the full fit, too few examples are refused with a
message, and the head survives its artifact's round trip."""

from __future__ import annotations

import numpy as np
import pytest

from modgate.detection.custom.head import LinearHead
from modgate.detection.custom.training import (
    Reduced,
    fit_logistic,
    principal_directions,
    train_head,
)
from modgate.errors import InvalidCustomLabelException


def clusters(count: int, dimensions: int, separation: float, seed: int) -> tuple[np.ndarray, ...]:
    generator = np.random.default_rng(seed)
    direction = generator.normal(size=dimensions)
    direction /= np.linalg.norm(direction)
    positives = generator.normal(size=(count, dimensions)) + separation * direction
    negatives = generator.normal(size=(count, dimensions)) - separation * direction
    return positives, negatives


def test_a_head_separates_two_clusters_with_calibrated_probabilities() -> None:
    positives, negatives = clusters(60, 32, 2.5, seed=1)
    result = train_head(positives, negatives, kind="image", backbone="efficientnet_lite0")
    assert result.metrics.accuracy > 0.95
    assert result.metrics.positives == 60 and result.metrics.negatives == 60
    card = result.head.card["cross_validation"]
    assert card["folds"] == 5 and card["precision"] > 0.95
    fresh_positives, fresh_negatives = clusters(200, 32, 2.5, seed=1)
    probabilities = result.head.probabilities(np.vstack([fresh_positives, fresh_negatives]))
    truth = np.r_[np.ones(200), np.zeros(200)]
    assert np.mean((probabilities >= 0.5) == truth) > 0.95
    # Calibrated: confident answers are mostly right, not all pinned at 0 or 1.
    assert probabilities.min() > 0.0 and probabilities.max() < 1.0


def test_overlapping_clusters_give_honest_cross_validated_figures() -> None:
    positives, negatives = clusters(50, 16, 0.3, seed=2)
    result = train_head(positives, negatives, kind="text", backbone="minilm")
    assert 0.5 < result.metrics.accuracy < 0.9  # neither perfect nor chance
    assert result.metrics.brier < 0.25


def test_the_fit_on_principal_directions_of_few_examples_is_the_full_fit() -> None:
    generator = np.random.default_rng(3)
    features = generator.normal(size=(40, 60))
    truth = (features[:, 0] > 0).astype(float)
    reduced = Reduced.of(features)  # 40 examples: every direction they span is kept
    weights, bias = reduced.raw(*fit_logistic(reduced.rows, truth))
    standard = (features - reduced.mean) / reduced.spread
    direct_weights, direct_bias = fit_logistic(standard, truth)
    direct = standard @ direct_weights + direct_bias
    assert np.allclose(features @ weights + bias, direct, atol=1e-4)


def test_randomised_principal_directions_find_the_dominant_ones() -> None:
    generator = np.random.default_rng(4)
    low_rank = generator.normal(size=(600, 20)) @ generator.normal(size=(20, 400))
    noisy = low_rank + 0.01 * generator.normal(size=(600, 400))
    found = principal_directions(noisy, 64)  # randomised: more rows and columns than 64
    exact = np.linalg.svd(noisy, full_matrices=False)[2][:20]
    assert found.shape == (64, 400)
    assert np.linalg.norm(exact @ found.T) ** 2 / 20 > 0.999


def test_too_few_examples_are_refused_with_the_counts() -> None:
    positives, negatives = clusters(3, 8, 2.0, seed=4)
    with pytest.raises(InvalidCustomLabelException, match=r"at least 4 .* \(got 3 and 3\)"):
        train_head(positives, negatives, kind="image", backbone="efficientnet_lite0")


def test_a_head_survives_its_artifact() -> None:
    positives, negatives = clusters(20, 12, 1.0, seed=5)
    head = train_head(positives, negatives, kind="image", backbone="mobilenet_v2").head
    again = LinearHead.from_bytes(head.to_bytes())
    rows = np.vstack([positives, negatives])
    assert np.allclose(again.probabilities(rows), head.probabilities(rows), atol=1e-5)
    assert (again.kind, again.backbone, again.card) == (head.kind, head.backbone, head.card)
    with pytest.raises(ValueError, match="not a custom-label head"):
        LinearHead.from_bytes(b'{"format": "something else"}')
