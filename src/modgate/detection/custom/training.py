"""Training a custom-label head: L2-regularised logistic regression by Newton's method, in numpy.

Embeddings are standardised per dimension and projected on their top 256 principal directions
once (no labels involved: every fold shares the projection), and the projection and
standardisation are folded back into the weights, so the trained head stays one dot product
over the raw embedding. Quality is measured by stratified k-fold cross-validation (5 folds,
fewer when a class is small): every example is scored by a head that never saw it, those
out-of-fold scores fit the Platt calibration, and the calibrated out-of-fold probabilities give
the precision, recall and accuracy the model card reports.

numpy rather than scikit-learn: a few hundred lines of maths less than a dependency, the same
code trains in the API process, a worker and the CLI, and the artifact is weights, not a pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from modgate.detection.custom.head import Kind, LinearHead, sigmoid
from modgate.errors import InvalidCustomLabelException

MIN_EXAMPLES = 4  # of each class: fewer cannot be cross-validated
FOLDS = 5
L2 = 1.0
NEWTON_STEPS = 15
MAX_COMPONENTS = 256


@dataclass(frozen=True, slots=True)
class Metrics:
    """How a head's calibrated probabilities, thresholded at 0.5, match the truth."""

    precision: float
    recall: float
    accuracy: float
    f1: float
    brier: float
    positives: int
    negatives: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "accuracy": round(self.accuracy, 4),
            "f1": round(self.f1, 4),
            "brier": round(self.brier, 4),
            "positives": self.positives,
            "negatives": self.negatives,
        }


def metrics_of(probabilities: np.ndarray, truth: np.ndarray) -> Metrics:
    """Precision, recall, accuracy, F1 (at 0.5) and Brier score of ``probabilities``."""
    predicted = probabilities >= 0.5
    actual = truth.astype(bool)
    true_positive = int(np.sum(predicted & actual))
    false_positive = int(np.sum(predicted & ~actual))
    false_negative = int(np.sum(~predicted & actual))
    precision = true_positive / max(true_positive + false_positive, 1)
    recall = true_positive / max(true_positive + false_negative, 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Metrics(
        precision=precision,
        recall=recall,
        accuracy=float(np.mean(predicted == actual)),
        f1=f1,
        brier=float(np.mean((probabilities - truth) ** 2)),
        positives=int(actual.sum()),
        negatives=int((~actual).sum()),
    )


def fit_logistic(
    features: np.ndarray, truth: np.ndarray, l2: float = L2, targets: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Weights and bias of a class-balanced, L2-regularised logistic regression (the bias is
    not shrunk). ``targets``: soft targets to fit instead of ``truth`` (Platt's), which then
    only weighs the classes."""
    return _newton(features, truth, l2, targets)


def _newton(
    features: np.ndarray, truth: np.ndarray, l2: float, targets: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    rows, columns = features.shape
    goal = truth if targets is None else targets
    design = np.hstack([features, np.ones((rows, 1))]).astype(np.float64)
    positives = max(float(truth.sum()), 1.0)
    negatives = max(float(rows - truth.sum()), 1.0)
    balance = np.where(truth > 0, rows / (2 * positives), rows / (2 * negatives))
    penalty = np.full(columns + 1, l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    theta = np.zeros(columns + 1)
    for _ in range(NEWTON_STEPS):
        probability = sigmoid(design @ theta)
        gradient = design.T @ (balance * (probability - goal)) + penalty * theta
        curvature = balance * probability * (1.0 - probability) + 1e-9
        hessian = (design.T * curvature) @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if float(np.abs(step).max()) < 1e-5:
            break
    return theta[:-1], float(theta[-1])


def principal_directions(matrix: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """The top ``count`` right singular vectors of ``matrix`` (rows). With more rows and
    columns than ``count``, by a randomised range finder (Halko, Martinsson and Tropp: two
    power iterations, ten extra directions), which costs a few matrix products instead of a
    full SVD; otherwise exactly."""
    rows, columns = matrix.shape
    if min(rows, columns) <= count:
        return np.linalg.svd(matrix, full_matrices=False)[2][:count]
    probe = np.random.default_rng(seed).normal(size=(columns, count + 10))
    sketch = matrix @ probe
    for _ in range(2):
        sketch = np.linalg.qr(sketch)[0]
        sketch = matrix @ (matrix.T @ sketch)
    range_basis = np.linalg.qr(sketch)[0]
    _, _singular, directions = np.linalg.svd(range_basis.T @ matrix, full_matrices=False)
    return directions[:count]


@dataclass(frozen=True, slots=True)
class Reduced:
    """Embeddings standardised per dimension and projected on their top principal directions
    (at most ``MAX_COMPONENTS``): computed once, shared by every fold and the final fit."""

    rows: np.ndarray
    mean: np.ndarray
    spread: np.ndarray
    basis: np.ndarray

    @classmethod
    def of(cls, features: np.ndarray) -> Reduced:
        mean = features.mean(axis=0)
        spread = features.std(axis=0) + 1e-6
        standard = (features - mean) / spread
        basis = principal_directions(standard, MAX_COMPONENTS)
        return cls(standard @ basis.T, mean, spread, basis)

    def raw(self, weights: np.ndarray, bias: float) -> tuple[np.ndarray, float]:
        """Weights and bias over the raw embeddings for ``weights`` over the reduced rows."""
        raw_weights = (self.basis.T @ weights) / self.spread
        return raw_weights, bias - float(raw_weights @ self.mean)


def stratified_folds(truth: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A fold number per example, each class spread evenly over the folds."""
    generator = np.random.default_rng(seed)
    assignment = np.zeros(len(truth), dtype=int)
    for value in (0, 1):
        members = np.flatnonzero(truth == value)
        generator.shuffle(members)
        assignment[members] = np.arange(len(members)) % folds
    return assignment


@dataclass(frozen=True, slots=True)
class TrainingResult:
    """The head trained on every example, its cross-validated metrics, and each example's
    calibrated out-of-fold probability (positives first, then negatives)."""

    head: LinearHead
    metrics: Metrics
    out_of_fold: np.ndarray


def train_head(
    positives: np.ndarray,
    negatives: np.ndarray,
    *,
    kind: Kind,
    backbone: str,
    seed: int = 0,
    card: dict[str, Any] | None = None,
) -> TrainingResult:
    """A calibrated head separating ``positives`` from ``negatives`` (rows: embeddings)."""
    if len(positives) < MIN_EXAMPLES or len(negatives) < MIN_EXAMPLES:
        raise InvalidCustomLabelException(
            f"a custom label needs at least {MIN_EXAMPLES} positive and {MIN_EXAMPLES} negative "
            f"examples (got {len(positives)} and {len(negatives)})"
        )
    features = np.vstack([positives, negatives]).astype(np.float64)
    truth = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
    folds = min(FOLDS, len(positives), len(negatives))
    assignment = stratified_folds(truth, folds, seed)
    reduced = Reduced.of(features)
    out_of_fold = np.zeros(len(truth))
    for fold in range(folds):
        held = assignment == fold
        weights, bias = _newton(reduced.rows[~held], truth[~held], L2)
        out_of_fold[held] = reduced.rows[held] @ weights + bias
    # Platt's targets: a little short of 1 and 0, so a separable fold gives probabilities
    # that stay short of certainty (a new kind of picture can still surprise the head).
    soft = np.where(
        truth > 0, (len(positives) + 1) / (len(positives) + 2), 1 / (len(negatives) + 2)
    )
    platt_scale, platt_offset = fit_logistic(out_of_fold[:, None], truth, l2=1e-3, targets=soft)
    calibrated = sigmoid(platt_scale[0] * out_of_fold + platt_offset)
    metrics = metrics_of(calibrated, truth)
    weights, bias = reduced.raw(*_newton(reduced.rows, truth, L2))
    summary = {
        **(card or {}),
        "kind": kind,
        "backbone": backbone,
        "model": "logistic regression (L2, class-balanced) on frozen embeddings, Platt-calibrated",
        "cross_validation": {"folds": folds, **metrics.as_dict()},
    }
    head = LinearHead(
        kind=kind,
        backbone=backbone,
        weights=weights.astype(np.float32),
        bias=bias,
        platt_scale=float(platt_scale[0]),
        platt_offset=platt_offset,
        card=summary,
    )
    return TrainingResult(head, metrics, calibrated)
