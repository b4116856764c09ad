"""Video segment rules and text rules."""

from __future__ import annotations

from modgate.policy import evaluate, policy_from_text
from modgate.taxonomy.detections import ImageDetections, Label, TextLine, Timeline, TimelineEntry
from modgate.taxonomy.rekognition_json import detections_from_json

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


def segment(name: str, confidence: float, start: int, end: int | None = None) -> TimelineEntry:
    """One label of one sample; without ``end``, a point sample."""
    return TimelineEntry(start, end, Label(name, confidence))


def timeline(*entries: TimelineEntry) -> Timeline:
    return Timeline(entries)


def test_explicit_for_one_second_in_total_is_blocked() -> None:
    policy = policy_from_text(VIDEO)
    pieces = [
        segment("Exposed Female Nipple", 95, 0, 400),
        segment("Explicit Nudity", 93, 300, 700),
        segment("Explicit", 91, 5000, 5300),
    ]
    decision = evaluate(policy, timeline(*pieces))
    assert (decision.action, decision.rule) == ("block", "explicit-1s")
    assert decision.matched[-1].timestamps == (0, 300, 5000)


def test_overlaps_are_counted_once() -> None:
    policy = policy_from_text(VIDEO)
    pieces = [
        segment("Explicit", 95, 0, 600),
        segment("Explicit Nudity", 95, 0, 600),
        segment("Explicit", 95, 500, 900),
    ]
    assert evaluate(policy, timeline(*pieces)).action == "allow"


def test_low_confidence_segments_do_not_count() -> None:
    policy = policy_from_text(VIDEO)
    pieces = [segment("Explicit", 89, 0, 5000)]
    assert evaluate(policy, timeline(*pieces)).action == "allow"


def test_point_samples_and_exclusions() -> None:
    policy = policy_from_text(VIDEO)
    points = [segment("Blood & Gore", 85, t) for t in (0, 1000, 2000)]
    decision = evaluate(policy, timeline(*points))
    assert (decision.action, decision.rule) == ("block", "gore-points")
    blasts = [segment("Explosions and Blasts", 95, t) for t in (0, 1000, 2000)]
    decision = evaluate(policy, timeline(*blasts))
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
    assert evaluate(policy, text("a BADWORD here")).action == "block"
    assert evaluate(policy, text("badwords")).action == "allow"
    assert evaluate(policy, text("Two   words")).action == "allow"
    assert evaluate(policy, text("x", "two words")).rule == "slurs"


def text(*lines: str) -> ImageDetections:
    return ImageDetections(text=tuple(TextLine(line) for line in lines))


def test_text_written_in_test_cases_reads_as_lines() -> None:
    policy = policy_from_text(TEXT)
    assert evaluate(policy, detections_from_json({"Text": "a BADWORD here"})).action == "block"
    assert evaluate(policy, detections_from_json({"Text": ["x", "two words"]})).rule == "slurs"
    assert evaluate(policy, detections_from_json({"Text": ""})).trace == (
        ("default", "no rule fired", None, "default", "allow"),
    )


def test_patterns_over_detect_text_lines_respect_confidence() -> None:
    policy = policy_from_text(TEXT)
    body = {
        "TextDetections": [
            {"DetectedText": "call 555-1234", "Type": "LINE", "Confidence": 95},
            {"DetectedText": "call", "Type": "WORD", "Confidence": 95, "ParentId": 0},
        ]
    }
    decision = evaluate(policy, detections_from_json(body))
    assert (decision.action, decision.rule) == ("review", "contact")
    assert decision.matched[0].text == "555-1234"
    body["TextDetections"][0]["Confidence"] = 80
    assert evaluate(policy, detections_from_json(body)).action == "allow"


def test_a_timeline_given_as_get_content_moderation_json_is_a_timeline() -> None:
    policy = policy_from_text(VIDEO)
    points = [
        {"Timestamp": t, "ModerationLabel": {"Name": "Blood & Gore", "Confidence": 85}}
        for t in (0, 1000, 2000)
    ]
    decision = evaluate(policy, detections_from_json({"ModerationLabels": points}))
    assert (decision.action, decision.rule) == ("block", "gore-points")
