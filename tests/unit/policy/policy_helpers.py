"""Helpers shared by the policy tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modgate.policy import Policy, policy_from_text
from modgate.policy.cases import expand_labels

POLICIES = Path(__file__).resolve().parents[3] / "policies"


def make_policy(text: str) -> Policy:
    return policy_from_text(text, "test.yaml")


def detect(mapping: dict[str, float]) -> dict[str, Any]:
    """Rekognition-shaped detections: each label with its ancestors at the same confidence."""
    return {"ModerationLabels": expand_labels(mapping)}
