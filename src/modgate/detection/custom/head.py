"""A trained custom-label head as plain numpy weights: ``sigmoid(a · (w·x + b) + c)``.

``w, b`` are the logistic regression's weights and bias over an L2-normalised embedding;
``a, c`` are its Platt calibration, fitted on out-of-fold scores so a probability of 0.8 means
about 80 % of such items carry the label. The head serialises to JSON (the artifact kept in the
blob store) together with its model card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Kind = Literal["image", "text"]
KINDS: tuple[Kind, ...] = ("image", "text")
FORMAT = "modgate.custom-label-head/1"


def sigmoid(values: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow warnings for large magnitudes."""
    return 0.5 * (1.0 + np.tanh(0.5 * values))


@dataclass(frozen=True, slots=True)
class LinearHead:
    """A calibrated logistic-regression head over one backbone's embedding."""

    kind: Kind
    backbone: str
    weights: np.ndarray
    bias: float
    platt_scale: float = 1.0
    platt_offset: float = 0.0
    card: dict[str, Any] = field(default_factory=dict)

    def decision(self, embeddings: np.ndarray) -> np.ndarray:
        """The uncalibrated score ``w·x + b`` of each row."""
        return embeddings @ self.weights + self.bias  # type: ignore[no-any-return]

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """The calibrated probability (0–1) that each row carries the label."""
        return sigmoid(self.platt_scale * self.decision(embeddings) + self.platt_offset)

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "kind": self.kind,
                "backbone": self.backbone,
                "weights": [round(float(value), 8) for value in self.weights],
                "bias": self.bias,
                "platt": [self.platt_scale, self.platt_offset],
                "card": self.card,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearHead:
        raw = json.loads(data)
        if raw.get("format") != FORMAT:
            raise ValueError(f"not a custom-label head ({raw.get('format')!r})")
        scale, offset = raw["platt"]
        return cls(
            kind=raw["kind"],
            backbone=raw["backbone"],
            weights=np.asarray(raw["weights"], dtype=np.float32),
            bias=float(raw["bias"]),
            platt_scale=float(scale),
            platt_offset=float(offset),
            card=dict(raw.get("card") or {}),
        )
