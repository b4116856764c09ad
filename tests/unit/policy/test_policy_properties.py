"""Property: under a band policy, raising a label's confidence never lowers the action."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from policy_helpers import POLICIES, make_policy
from policy_helpers import labels as image_labels

from modgate.policy import SEVERITY, evaluate
from modgate.taxonomy import taxonomy_v7

NAMES = taxonomy_v7().names
BAND_POLICY = make_policy(
    "policy: bands\ncategories:\n"
    "  Explicit: {block: 90, review: 60, annotate: 20}\n"
    "  Exposed Female Nipple: ignore\n"
    "  Violence: {block: 80, review: 50}\n"
    "  Graphic Violence: {review: 95, annotate: 10}\n"
    "  Self-Harm: {block: 40}\n"
    "  Alcohol: {annotate: 30}\n"
    "  '*': {review: 70}\n"
)
SHIPPED = [make_policy((POLICIES / f"{name}.yaml").read_text()) for name in ("seed", "marketplace")]

confidence = st.floats(min_value=0, max_value=100, allow_nan=False)
detections = st.dictionaries(st.sampled_from(NAMES), confidence, max_size=8)


def severity(policy, labels: dict[str, float]) -> int:  # type: ignore[no-untyped-def]
    return SEVERITY[evaluate(policy, image_labels(labels)).action]


@settings(max_examples=300, deadline=None)
@given(detections, st.data())
def test_raising_confidence_never_lowers_severity(labels: dict[str, float], data) -> None:  # type: ignore[no-untyped-def]
    if not labels:
        return
    name = data.draw(st.sampled_from(sorted(labels)))
    higher = data.draw(st.floats(min_value=labels[name], max_value=100, allow_nan=False))
    raised = {**labels, name: higher}
    for policy in (BAND_POLICY, *SHIPPED):
        assert severity(policy, raised) >= severity(policy, labels)


@settings(max_examples=200, deadline=None)
@given(detections)
def test_evaluation_is_deterministic_and_order_independent(labels: dict[str, float]) -> None:
    first = evaluate(BAND_POLICY, image_labels(labels))
    second = evaluate(BAND_POLICY, image_labels(dict(reversed(labels.items()))))
    assert (first.action, first.rule) == (second.action, second.rule)
