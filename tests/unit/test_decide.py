"""The decide stage: the policy's decision, the incomplete-media override and the decisions
modgate makes itself, as they are stored on a moderation."""

from __future__ import annotations

import datetime as dt

from modgate.pipeline.decide import (
    INCOMPLETE_RULE,
    decide,
    no_active_policy,
    processing_cancelled,
    processing_failed,
)
from modgate.policy import Context, evaluate, policy_from_text
from modgate.taxonomy.detections import (
    ImageDetections,
    Label,
    Timeline,
    TimelineEntry,
    Unchecked,
)

POLICY = policy_from_text("policy: p\ncategories:\n  Violence: {id: violence, review: 70}\n")
CANDIDATE = policy_from_text("policy: c\ncategories:\n  Violence: {id: violence, block: 60}\n")
NOW = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
FAILURES = {"queue": "failures", "priority": "high", "reviewers": 1}


def ruling_of(detections: ImageDetections | Timeline) -> dict[str, object]:
    ruling = decide(
        POLICY,
        [],
        detections,
        Context(),
        surface=None,
        moderation_id="mod_1",
        clock=lambda: NOW,
    )
    return ruling.to_dict()


def test_a_policy_decision_is_stored_as_the_engine_gave_it() -> None:
    detections = ImageDetections((Label("Violence", 80.0),))
    assert ruling_of(detections) == evaluate(POLICY, detections).to_dict()


def test_shadow_decisions_are_returned_for_storing_not_enforced() -> None:
    detections = ImageDetections((Label("Violence", 65.0),))
    ruling = decide(
        POLICY,
        [CANDIDATE],
        detections,
        Context(),
        surface=None,
        moderation_id="mod_1",
        clock=lambda: NOW,
    )
    assert ruling.action == "allow"
    (shadow,) = ruling.shadows
    assert (shadow.candidate_action, shadow.surface, shadow.moderation_id) == (
        "block",
        "default",
        "mod_1",
    )
    assert shadow.created_at == NOW


def test_a_damaged_video_that_would_be_allowed_goes_to_review() -> None:
    reason = "4.0 s of 10.0 s could not be decoded and were not checked (3 damaged packets)"
    clean = Timeline(
        (TimelineEntry(0, 1000, Label("Violence", 10.0)),), unchecked=Unchecked(4000, 3, reason)
    )
    stored = ruling_of(clean)
    allowed = evaluate(POLICY, clean).to_dict()
    assert stored == {
        **allowed,
        "action": "review",
        "rule": INCOMPLETE_RULE,
        "reasons": [*allowed["reasons"], reason],  # type: ignore[list-item]
        "review": {**FAILURES, "queue": "default"},
    }
    assert list(stored) == list(allowed)  # same keys, same order
    flagged = Timeline(
        (TimelineEntry(0, 1000, Label("Violence", 90.0)),), unchecked=Unchecked(4000, 3, reason)
    )
    assert ruling_of(flagged)["rule"] == "violence"
    assert ruling_of(flagged)["reasons"][-1] == reason  # type: ignore[index]


def test_decisions_modgate_makes_itself() -> None:
    assert processing_failed("Boom: x").to_dict() == {
        "action": "review",
        "rule": "modgate.processing-failed",
        "policy_version": None,
        "reasons": ["processing failed: Boom: x"],
        "matched": [],
        "review": FAILURES,
        "trace": [],
    }
    assert processing_cancelled("cancelled by ana before it ran").to_dict()["rule"] == (
        "modgate.processing-cancelled"
    )
    ruling = no_active_policy()
    assert (ruling.action, ruling.rule, ruling.policy_version) == (
        "review",
        "modgate.no-active-policy",
        None,
    )
    assert ruling.to_dict()["review"] == {**FAILURES, "queue": "default"}
    unpoliced = decide(
        None, [], ImageDetections(), Context(), surface="kids", moderation_id="m", clock=lambda: NOW
    )
    assert unpoliced == ruling
