"""Video segment rules and text rules."""

from __future__ import annotations

from typing import Any

from modgate.policy import evaluate, policy_from_text

VIDEO = """
policy: v
categories:
  Violence: {id: violence, review: 70}
video:
  - id: explicit-1s
    label: Explicit
    min_confidence: 90
    min_duration: 1s
    action: block
  - id: gore-points
    label: Graphic Violence
    min_confidence: 80
    min_duration: 600ms
    point_duration: 250ms
    exclude: [Explosions and Blasts]
    action: block
"""


def segment(name: str, confidence: float, start: int, end: int | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Timestamp": start,
        "ModerationLabel": {"Name": name, "Confidence": confidence},
    }
    if end is not None:
        item.update(StartTimestampMillis=start, EndTimestampMillis=end, DurationMillis=end - start)
    return item


def test_explicit_for_one_second_in_total_is_blocked() -> None:
    policy = policy_from_text(VIDEO)
    pieces = [
        segment("Exposed Female Nipple", 95, 0, 400),
        segment("Explicit Nudity", 93, 300, 700),
        segment("Explicit", 91, 5000, 5300),
    ]
    decision = evaluate(policy, {"ModerationLabels": pieces})
    assert (decision.action, decision.rule) == ("block", "explicit-1s")
    assert decision.matched[-1].timestamps == (0, 300, 5000)


def test_overlaps_are_counted_once() -> None:
    policy = policy_from_text(VIDEO)
    pieces = [
        segment("Explicit", 95, 0, 600),
        segment("Explicit Nudity", 95, 0, 600),
        segment("Explicit", 95, 500, 900),
    ]
    assert evaluate(policy, {"ModerationLabels": pieces}).action == "allow"


def test_low_confidence_segments_do_not_count() -> None:
    policy = policy_from_text(VIDEO)
    pieces = [segment("Explicit", 89, 0, 5000)]
    assert evaluate(policy, {"ModerationLabels": pieces}).action == "allow"


def test_point_samples_and_exclusions() -> None:
    policy = policy_from_text(VIDEO)
    points = [segment("Blood & Gore", 85, t) for t in (0, 1000, 2000)]
    decision = evaluate(policy, {"ModerationLabels": points})
    assert (decision.action, decision.rule) == ("block", "gore-points")
    blasts = [segment("Explosions and Blasts", 95, t) for t in (0, 1000, 2000)]
    decision = evaluate(policy, {"ModerationLabels": blasts})
    assert (decision.action, decision.rule) == ("review", "violence")
    assert decision.matched[0].timestamps == (0, 1000, 2000)


TEXT = """
policy: t
categories: {}
text:
  - id: slurs
    action: block
    words: [badword, "two words"]
  - id: contact
    action: review
    min_confidence: 90
    patterns: ['\\d{3}-\\d{4}']
"""


def test_words_match_whole_words_case_insensitively() -> None:
    policy = policy_from_text(TEXT)
    assert evaluate(policy, {"Text": "a BADWORD here"}).action == "block"
    assert evaluate(policy, {"Text": "badwords"}).action == "allow"
    assert evaluate(policy, {"Text": "Two   words"}).action == "allow"
    assert evaluate(policy, {"Text": ["x", "two words"]}).rule == "slurs"


def test_patterns_over_detect_text_lines_respect_confidence() -> None:
    policy = policy_from_text(TEXT)
    lines = {
        "TextDetections": [
            {"DetectedText": "call 555-1234", "Type": "LINE", "Confidence": 95},
            {"DetectedText": "call", "Type": "WORD", "Confidence": 95},
        ]
    }
    decision = evaluate(policy, lines)
    assert (decision.action, decision.rule) == ("review", "contact")
    assert decision.matched[0].text == "555-1234"
    lines["TextDetections"][0]["Confidence"] = 80
    assert evaluate(policy, lines).action == "allow"
