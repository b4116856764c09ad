"""Text rules over what the text detectors found: toxicity labels from a score, personal data by
type, and words and patterns over submitted texts, captions and text a video showed (with the
times it was shown)."""

from __future__ import annotations

import pytest
from policy_helpers import make_policy

from modgate.errors import PolicyValidationError
from modgate.policy import Policy, evaluate
from modgate.taxonomy.detections import (
    ImageDetections,
    PiiEntity,
    TextDetections,
    TextFindings,
    TextLabel,
    TextLine,
    Timeline,
)

POLICY = """
policy: comments
categories: {}
text:
  - id: hate
    action: block
    labels: {HATE_SPEECH: 70, VIOLENCE_OR_THREAT: 80}
  - id: toxic
    action: review
    labels: {TOXICITY: 60}
  - id: contact
    action: review
    pii: [EMAIL, PHONE]
  - id: spam
    action: annotate
    words: [free money]
"""


def comment(text: str, *labels: tuple[str, float], pii: tuple[str, ...] = ()) -> TextDetections:
    return TextDetections(
        (
            TextFindings(
                text,
                labels=tuple(TextLabel(name, score) for name, score in labels),
                entities=tuple(PiiEntity(kind, 99.0, 0, 1) for kind in pii),
            ),
        )
    )


@pytest.fixture(scope="module")
def policy() -> Policy:
    return make_policy(POLICY)


def test_a_label_at_its_score_fires_the_rule(policy: Policy) -> None:
    decision = evaluate(policy, comment("…", ("HATE_SPEECH", 90.0), ("TOXICITY", 95.0)))
    assert (decision.action, decision.rule) == ("block", "hate")
    assert decision.matched[0].label == "HATE_SPEECH"
    assert decision.reasons[0] == "HATE_SPEECH at 90 → block by rule hate"
    assert decision.matched[0].confidence == 90.0


def test_a_label_below_its_score_does_not(policy: Policy) -> None:
    decision = evaluate(policy, comment("…", ("VIOLENCE_OR_THREAT", 79.0), ("TOXICITY", 50.0)))
    assert (decision.action, decision.rule) == ("allow", "default")


def test_personal_data_fires_its_rule(policy: Policy) -> None:
    decision = evaluate(policy, comment("mail me", pii=("EMAIL",)))
    assert (decision.action, decision.rule) == ("review", "contact")
    assert evaluate(policy, comment("see", pii=("URL",))).action == "allow"


def test_words_apply_to_submitted_text_and_captions(policy: Policy) -> None:
    assert evaluate(policy, comment("get FREE MONEY now")).rule == "spam"
    caption = TextFindings("free money inside", source="caption")
    image = ImageDetections(findings=(caption,))
    assert evaluate(policy, image).rule == "spam"


def test_words_read_the_normalised_text(policy: Policy) -> None:
    findings = TextFindings("ｆｒｅｅ ｍｏｎｅｙ", normalised="free money")
    assert evaluate(policy, TextDetections((findings,))).rule == "spam"


def test_image_ocr_text_keeps_its_confidence(policy: Policy) -> None:
    ocr = TextFindings("free money", source="ocr", labels=(TextLabel("TOXICITY", 70.0),))
    image = ImageDetections(text=(TextLine("free money", 90.0),), findings=(ocr,))
    decision = evaluate(policy, image)
    assert decision.rule == "toxic"
    assert {m.rule for m in decision.matched} == {"toxic", "spam"}


def test_video_text_carries_its_timestamps(policy: Policy) -> None:
    shown = [
        TextFindings("hello", source="ocr", timestamp_ms=0),
        TextFindings("free money", source="ocr", timestamp_ms=2000),
        TextFindings("free money", source="ocr", timestamp_ms=3000),
    ]
    decision = evaluate(policy, Timeline(findings=tuple(shown)))
    assert decision.rule == "spam"
    assert decision.matched[0].timestamps == (2000, 3000)


def test_unknown_label_or_pii_type_is_refused() -> None:
    head = "policy: x\ncategories: {}\ntext:\n  - id: a\n    action: block\n"
    with pytest.raises(PolicyValidationError, match="'RUDE' is not a toxicity label"):
        make_policy(head + "    labels: {RUDE: 50}\n")
    with pytest.raises(PolicyValidationError, match="SSN"):
        make_policy(head + "    pii: [SSN]\n")
