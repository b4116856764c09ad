"""The text detectors on a labelled set of short texts written here: clean texts, profanity,
obfuscated profanity, insults, threats, PII and false friends, each with the labels it must get
(and must not get), and offsets that point at the words in the original text."""

from __future__ import annotations

import time

import profanity_check.profanity_check as shipped
import pytest

from modgate.detection.settings import DetectionSettings
from modgate.detection.text.detectors.classifier import LinearToxicity
from modgate.detection.text.detectors.pii import iban_valid, luhn_valid
from modgate.detection.text.engine import TextEngine, build_text_detectors
from modgate.errors import SettingsError
from modgate.taxonomy.detections import TextFindings

FLAG = 50.0  # a label at or above this score counts as found

# text, labels it must have (≥ FLAG), labels it must not have
LABELLED = [
    ("What a lovely photo of your garden!", set(), {"TOXICITY", "PROFANITY", "INSULT"}),
    ("See you at the match on Saturday", set(), {"TOXICITY", "VIOLENCE_OR_THREAT"}),
    ("Scunthorpe United won again", set(), {"PROFANITY", "TOXICITY"}),
    ("The assessment is due on Friday", set(), {"PROFANITY", "TOXICITY"}),
    ("Let's have a cocktail in Middlesex", set(), {"PROFANITY", "SEXUAL", "TOXICITY"}),
    ("My class passed the exam", set(), {"PROFANITY", "TOXICITY"}),
    ("this is fucking great", {"PROFANITY", "TOXICITY"}, set()),
    ("what a load of shit", {"PROFANITY", "TOXICITY"}, set()),
    ("sh1t happens", {"PROFANITY"}, set()),
    ("f u c k this", {"PROFANITY"}, set()),
    ("f.u.c.k this", {"PROFANITY"}, set()),
    ("ｆｕｃｋ off", {"PROFANITY"}, set()),
    ("fu\u0441k off", {"PROFANITY"}, set()),  # a Cyrillic es
    ("fu\u200bck off", {"PROFANITY"}, set()),  # a zero-width space
    ("fuuuuuck", {"PROFANITY"}, set()),
    ("a$$hole", {"PROFANITY", "INSULT"}, set()),
    ("you are an idiot", {"INSULT", "TOXICITY"}, set()),
    ("you pathetic loser", {"INSULT"}, set()),
    ("I will kill you", {"VIOLENCE_OR_THREAT", "TOXICITY"}, set()),
    ("i know where you live", {"VIOLENCE_OR_THREAT"}, set()),
    ("kill yourself", {"HARASSMENT_OR_ABUSE", "TOXICITY"}, set()),
    ("send nudes", {"SEXUAL"}, set()),
    ("a severed head and blood everywhere", {"GRAPHIC"}, set()),
    ("go back to your country", {"HATE_SPEECH"}, set()),
]

# text, PII types it must have (with the text each covers)
PII = [
    ("write to bob.smith@example.com today", {("EMAIL", "bob.smith@example.com")}),
    ("call me on +44 7700 900123", {("PHONE", "+44 7700 900123")}),
    ("card 4111 1111 1111 1111 exp 12/29", {("CREDIT_DEBIT_NUMBER", "4111 1111 1111 1111")}),
    ("pay DE89 3704 0044 0532 0130 00", {("INTERNATIONAL_BANK_ACCOUNT_NUMBER",
                                        "DE89 3704 0044 0532 0130 00")}),
    ("see https://example.com/a?b=c", {("URL", "https://example.com/a?b=c")}),
    ("follow @kid_gamer99 there", {("USERNAME", "@kid_gamer99")}),
    ("mail ｂｏｂ＠ｅｘａｍｐｌｅ．ｃｏｍ", {("EMAIL", "ｂｏｂ＠ｅｘａｍｐｌｅ．ｃｏｍ")}),
]  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> TextEngine:
    return TextEngine.from_settings(DetectionSettings())


def flagged(findings: TextFindings) -> set[str]:
    return {label.name for label in findings.labels if label.score >= FLAG}


@pytest.mark.parametrize(("text", "present", "absent"), LABELLED)
def test_labelled_texts_get_their_labels(
    engine: TextEngine, text: str, present: set[str], absent: set[str]
) -> None:
    found = flagged(engine.detect(text, language="en"))
    assert present <= found, f"{text!r}: {found}"
    assert not absent & found, f"{text!r}: {found}"


def test_every_score_is_0_to_100_with_spans_inside_the_text(engine: TextEngine) -> None:
    for text, _, _ in LABELLED:
        for label in engine.detect(text).labels:
            assert 0 <= label.score <= 100
            for span in label.spans:
                assert 0 <= span.begin < span.end <= len(text)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("oh ｆｕｃｋ this", "ｆｕｃｋ"),
        ("well fu\u200b\u200bck that", "fu\u200b\u200bck"),
        ("\u200b\u200b\u200bshit", "shit"),
        ("total sh1t", "sh1t"),
        ("ah fu\u0441k", "fu\u0441k"),
    ],
)
def test_offsets_point_at_the_word_in_the_original(
    engine: TextEngine, text: str, word: str
) -> None:
    findings = engine.detect(text)
    (profanity,) = [label for label in findings.labels if label.name == "PROFANITY"]
    assert [text[s.begin : s.end] for s in profanity.spans] == [word]
    assert findings.text == text  # the original is kept


@pytest.mark.parametrize(("text", "expected"), PII)
def test_pii_is_found_with_comprehend_names(
    engine: TextEngine, text: str, expected: set[tuple[str, str]]
) -> None:
    found = {(e.type, text[e.begin : e.end]) for e in engine.detect(text).entities}
    assert expected <= found


def test_numbers_that_fail_their_checks_are_not_cards_or_ibans(engine: TextEngine) -> None:
    found = {
        e.type
        for e in engine.detect(
            "order 4111 1111 1111 1112, ref DE00 3704 0044 0532 0130 00"
        ).entities
    }
    assert "CREDIT_DEBIT_NUMBER" not in found
    assert "INTERNATIONAL_BANK_ACCOUNT_NUMBER" not in found
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82WEST12345698765432")


def test_mixed_script_spoofing_is_flagged(engine: TextEngine) -> None:
    assert engine.detect("p\u0430ypal login").mixed_script
    assert not engine.detect("пароль и логин").mixed_script  # all Cyrillic: left alone
    assert not engine.detect("plain words").mixed_script


def test_word_lists_are_english_only(engine: TextEngine) -> None:
    """Text in another language skips the English word lists and classifier; PII still runs."""
    findings = engine.detect("fuck, mail me at a@example.com", language="de")
    assert not findings.labels
    assert [e.type for e in findings.entities] == ["EMAIL"]


def test_hostile_input_is_linear(engine: TextEngine) -> None:
    """A million zero-width characters, a long run of one letter, digits and @ signs: each is
    read once, quickly enough that nothing waits on it (reported, not asserted, here)."""
    hostile = (
        "\u200b" * 1_000_000,
        "a" * 65_536,
        "1" * 65_536,
        "@" * 65_536,
        "a@" * 30_000,
        " @ab" * 16_000,
        "a@b.co " * 9_000,
        "4111111111111111 " * 3_800,
        "fuck " * 13_000,
    )
    for text in hostile:
        started = time.perf_counter()
        engine.detect(text)
        elapsed = time.perf_counter() - started
        print(f"{text[:2]!r}×{len(text)}: {elapsed:.3f} s")


def test_classifier_matches_scikit_learn() -> None:
    model = LinearToxicity(shipped.vectorizer, shipped.model)
    texts = ["hello you idiot", "nice day", "", "the the", "I will kill you", "Scunthorpe"]
    expected = shipped.predict_prob(texts)
    for text, probability in zip(texts, expected, strict=True):
        assert model.probability(text) == pytest.approx(float(probability), abs=1e-9)


def test_an_install_without_text_detectors_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="reinstall modgate"):
        build_text_detectors(DetectionSettings(), registered={})
    chosen = build_text_detectors(DetectionSettings(text_disabled=["pii"]))
    assert "pii" not in {detector.name for detector in chosen}
    with pytest.raises(SettingsError, match="unknown text detector 'nope'"):
        build_text_detectors(DetectionSettings(text_enabled=["nope"]))
