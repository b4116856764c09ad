"""Custom labels join the process's taxonomy: a new top-level label or one below a v7 parent,
found by policies and fusion like any v7 label; clashing names and unknown parents are
refused, and clearing them leaves taxonomy v7 as shipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modgate.detection.base import Evidence
from modgate.detection.fusion import fuse_labels
from modgate.errors import PolicyValidationError
from modgate.policy import evaluate, policy_from_text
from modgate.taxonomy import custom_labels, register_custom_labels, taxonomy_v7
from modgate.taxonomy.detections import (
    ImageDetections,
    Label,
    TextDetections,
    TextFindings,
    TextLabel,
)


@pytest.fixture(autouse=True)
def restore() -> Iterator[None]:
    before = custom_labels()
    yield
    register_custom_labels(before)


def test_custom_labels_sit_in_the_tree_and_policies_name_them() -> None:
    shipped = len(taxonomy_v7())
    register_custom_labels([("Landscape Photo", None), ("Kitchen Knives", "Weapons")])
    tree = taxonomy_v7()
    assert len(tree) == shipped + 2
    assert tree.get("Landscape Photo").level == 1
    assert [label.name for label in tree.lineage("Kitchen Knives")] == [
        "Kitchen Knives",
        "Weapons",
        "Violence",
    ]
    policy = policy_from_text(
        "policy: p\ntaxonomy: 7\ndefault: {action: allow}\n"
        "categories:\n  Landscape Photo: {id: scenery, review: 60}\n"
    )
    detections = ImageDetections(labels=(Label("Landscape Photo", 72.0, "", 1),))
    assert evaluate(policy, detections).rule == "scenery"
    register_custom_labels([])
    assert len(taxonomy_v7()) == shipped and "Landscape Photo" not in taxonomy_v7()


def test_a_custom_label_below_a_parent_raises_the_parent_in_fusion() -> None:
    register_custom_labels([("Kitchen Knives", "Weapons")])
    evidence = [Evidence("Kitchen Knives", 0.9, "custom")]
    fused = {name: label.confidence for name, label in fuse_labels(evidence).items()}
    assert fused["Kitchen Knives"] == pytest.approx(90.0)
    assert fused["Weapons"] >= 90.0 and fused["Violence"] >= 90.0


def test_names_of_v7_labels_and_unknown_parents_are_refused() -> None:
    with pytest.raises(ValueError, match="already a label"):
        register_custom_labels([("Weapons", None)])
    with pytest.raises(Exception, match="Weapon"):
        register_custom_labels([("Kitchen Knives", "Weapon")])
    assert custom_labels() == ()


TEXT_POLICY = """
policy: texts
taxonomy: 7
default: {action: allow}
categories: {}
text:
  - id: scams
    action: block
    labels: {Crypto Scam: 60}
"""


def test_a_text_rule_names_a_custom_text_label_and_typos_are_refused() -> None:
    register_custom_labels([("Crypto Scam", None)])
    policy = policy_from_text(TEXT_POLICY)
    found = TextFindings("send 1 BTC", labels=(TextLabel("Crypto Scam", 82.0, ()),))
    decision = evaluate(policy, TextDetections(findings=(found,)))
    assert (decision.action, decision.rule) == ("block", "scams")
    calm = TextFindings("see you at noon", labels=(TextLabel("Crypto Scam", 12.0, ()),))
    assert evaluate(policy, TextDetections(findings=(calm,))).action == "allow"
    with pytest.raises(PolicyValidationError, match="Did you mean 'PROFANITY'"):
        policy_from_text(TEXT_POLICY.replace("Crypto Scam", "PROFANTY"))
    register_custom_labels([])
    with pytest.raises(PolicyValidationError, match="not a toxicity label"):
        policy_from_text(TEXT_POLICY)
