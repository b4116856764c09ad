"""Helpers shared by the policy tests."""

from __future__ import annotations

from pathlib import Path

from modgate.policy import Policy, policy_from_text
from modgate.policy.cases import expand_labels
from modgate.taxonomy.detections import ImageDetections, Label

POLICIES = Path(__file__).resolve().parents[3] / "policies"


def make_policy(text: str) -> Policy:
    return policy_from_text(text, "test.yaml")


def detect(mapping: dict[str, float]) -> ImageDetections:
    """Image detections: each label with its ancestors at the same confidence, as Rekognition
    returns them."""
    return ImageDetections(expand_labels(mapping))


def labels(mapping: dict[str, float]) -> ImageDetections:
    """Image detections of exactly these labels (no ancestors added)."""
    return ImageDetections(tuple(Label(name, value) for name, value in mapping.items()))
