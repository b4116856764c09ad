"""Text-rule patterns run on RE2: linear in the text, refused when they need backtracking, and
with the meaning Python's ``re`` gave them where both engines accept a pattern."""

from __future__ import annotations

import re

import pytest
from policy_helpers import POLICIES

from modgate.errors import PolicyValidationError
from modgate.policy import evaluate, load_policy, policy_from_text
from modgate.policy.patterns import PatternError, compile_text_pattern
from modgate.taxonomy.rekognition_json import detections_from_json

pytestmark = pytest.mark.timeout(60)


def text_policy(*patterns: str, rule: str = "contact") -> str:
    quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in patterns)
    return (
        "policy: x\ncategories: {}\ntext:\n"
        f"  - id: {rule}\n    action: review\n    patterns: [{quoted}]\n"
    )


def test_catastrophic_backtracking_pattern_evaluates_on_a_long_line() -> None:
    # With Python's re, (a+)+$ against 5000 "a" and a "b" would run for longer than the universe.
    policy = policy_from_text(text_policy("(a+)+$"))
    evil = "a" * 5000 + "b"
    decision = evaluate(policy, detections_from_json({"Text": evil}))
    assert (decision.action, decision.rule) == ("allow", "default")
    decision = evaluate(policy, detections_from_json({"Text": ["noise", "a" * 5000]}))
    assert (decision.action, decision.rule) == ("review", "contact")
    assert decision.matched[0].text == "a" * 5000


@pytest.mark.parametrize(
    ("pattern", "feature"),
    [
        (r"(\w+) \1", "backreferences such as \\1 are not supported"),
        (r"(?P<w>\w+) (?P=w)", "named backreferences (?P=name) are not supported"),
        (r"pay(?= now)", "lookahead and lookbehind are not supported"),
        (r"(?<!un)safe", "lookahead and lookbehind are not supported"),
        (r"(?>a+)b", "atomic groups (?>...) are not supported"),
        (r"a++b", "possessive quantifiers such as a++ are not supported"),
        (r"(?x) a b", "Python's (?x) (?a) (?u) (?L) flags and (?#...) comments"),
    ],
)
def test_patterns_that_need_backtracking_are_refused_naming_the_rule(
    pattern: str, feature: str
) -> None:
    with pytest.raises(PolicyValidationError) as caught:
        policy_from_text(text_policy("ok", pattern, rule="repeated-word"), "p.yaml")
    assert caught.value.code == "PolicyValidationError"
    [problem] = caught.value.problems
    assert problem.startswith(
        "p.yaml:6:22: invalid regular expression in text rule 'repeated-word': "
    )
    assert feature in problem


def test_a_syntax_error_is_still_reported_with_its_rule() -> None:
    with pytest.raises(PolicyValidationError) as caught:
        policy_from_text(text_policy("(unclosed"), "p.yaml")
    assert caught.value.problems == [
        "p.yaml:6:16: invalid regular expression in text rule 'contact': missing ): (unclosed"
    ]


def test_a_pattern_too_large_to_compile_is_refused() -> None:
    with pytest.raises(PatternError, match="more than 8 MiB once compiled"):
        compile_text_pattern(r"\pL{1000}")


# (pattern, text): RE2 must find what Python's re finds.
PYTHON_MEANING = [
    (r"\+?\d[\d ().-]{7,}\d", "call +49 (30) 1234-567 now"),
    (r"\+?\d[\d ().-]{7,}\d", "رقم ٠١٢٣٤٥٦٧٨٩ هنا"),  # Arabic-Indic digits are \d in Python
    (r"[\w.+-]+@[\w-]+\.[\w.]+", "écris à josé.núñez@correo.es"),
    (r"(?i)\b(?:btc|bitcoin|usdt)\s*(?:only|accepted)\b", "Payment: BITCOIN\u00a0only!"),
    (r"\w+", "Ωμέγα"),
    (r"\W+", "abc — def"),
    (r"[\W_]+", "a_-_b"),
    (r"\s+", "a\u3000\u2028b"),
    (r"\S+", "\u00a0word\u00a0"),
    (r"[\s\d]+", " 1 2 "),
    (r"end\Z", "the end"),
    (r"end\Z", "the end\n"),
    (r"ab{,2}c", "abbc"),
    (r"caf\u00e9", "café"),
    (r"[]a]+", "x]a]y"),
    (r"[^]a]+", "]]xy"),
    (r"(?i)straße", "STRASSE straße"),
    (r"\d{3}-\d{4}", "555-1234"),
    (r"(?s)a.b", "a\nb"),
    (r"(?m)^b$", "a\nb\nc"),
]


@pytest.mark.parametrize(("pattern", "text"), PYTHON_MEANING)
def test_patterns_keep_the_meaning_they_had_with_python_re(pattern: str, text: str) -> None:
    expected = re.search(pattern, text)
    found = compile_text_pattern(pattern).search(text)
    assert (found.group(0) if found else None) == (expected.group(0) if expected else None)


def test_a_negated_class_holding_a_negated_escape_is_refused_with_a_way_out() -> None:
    with pytest.raises(PatternError, match=r"for example \[\\p\{L\}\\p\{N\}\] for \[\^\\W_\]"):
        compile_text_pattern(r"[^\W_]+")


def test_re2_syntax_is_accepted() -> None:
    assert compile_text_pattern(r"\p{Greek}+").search("alpha αβγ") is not None
    assert compile_text_pattern(r"[[:digit:]]+").search("x42") is not None


def test_text_that_is_not_valid_unicode_does_not_break_evaluation() -> None:
    policy = policy_from_text(text_policy(r"\d{3}"))
    assert evaluate(policy, detections_from_json({"Text": "\ud800 call 555"})).action == "review"


def test_shipped_text_rules_compile_for_re2() -> None:
    kids = load_policy(POLICIES / "kids.yaml")
    decision = evaluate(kids, detections_from_json({"Text": "write to ana.pérez@example.org"}))
    assert decision.matched and decision.matched[0].text == "ana.pérez@example.org"
