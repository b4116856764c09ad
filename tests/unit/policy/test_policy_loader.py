from __future__ import annotations

import pytest

from modgate.errors import PolicyValidationError
from modgate.policy import load_policy, policy_from_text


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyValidationError) as caught:
        policy_from_text(text, "p.yaml")
    assert caught.value.code == "PolicyValidationError"
    return caught.value.problems


def test_unknown_label_points_at_the_key_with_did_you_mean() -> None:
    found = problems("policy: x\ncategories:\n  Violence: {block: 90}\n  Explict: {block: 90}\n")
    assert len(found) == 1
    assert found[0].startswith("p.yaml:4:3: ")
    assert "Did you mean 'Explicit'" in found[0]


def test_unknown_field_suggests_the_right_one() -> None:
    found = problems("policy: x\ncategories:\n  Gambling: {review: 60, reviewer: 2}\n")
    assert found == ["p.yaml:3:26: unknown field 'reviewer'. Did you mean 'reviewers'?"]


def test_overlapping_and_unreachable_bands_are_refused() -> None:
    found = problems(
        "policy: x\ncategories:\n  Alcohol: {block: 80, review: 80}\n"
        "  Violence: {block: 50, review: 70}\n"
    )
    assert found[0].startswith("p.yaml:3:32: overlapping bands")
    assert found[1].startswith("p.yaml:4:21: unreachable band")


def test_threshold_out_of_range_and_bad_action_are_schema_errors() -> None:
    found = problems("policy: x\ncategories:\n  Alcohol: {block: 180}\n")
    assert found[0].startswith("p.yaml:3:20: ") and "180" in found[0]
    found = problems("policy: x\ncategories: {}\ntext:\n  - {id: t, action: delete, words: [a]}\n")
    assert found[0].startswith("p.yaml:4:") and "delete" in found[0]


def test_routing_on_a_rule_that_never_reviews() -> None:
    found = problems("policy: x\ncategories:\n  Alcohol: {block: 80, queue: q}\n")
    assert "never sends anything to review" in found[0]


def test_region_time_audience_regex_and_duplicate_ids() -> None:
    found = problems(
        "policy: x\ncategories:\n  Alcohol: {id: a, block: 80}\n  Gambling: {id: a, block: 80}\n"
        "text:\n  - {id: t, action: review, patterns: ['(unclosed']}\n"
        "overlays:\n  - id: o\n    when:\n      region: [EUR]\n"
        "      time: [{from: '21:00', to: '21:00'}]\n      audience: ['17-13']\n"
    )
    joined = "\n".join(found)
    assert "p.yaml:4:13: rule id 'a' is already used at p.yaml:3:12" in joined
    assert "p.yaml:6:40: invalid regular expression" in joined
    assert "p.yaml:10:16: unknown region 'EUR'" in joined and "'EU'" in joined
    assert "p.yaml:11:14: time window starts and ends at the same minute" in joined
    assert "p.yaml:12:18: age band 17-13 is empty" in joined


def test_unquoted_yaml_times_are_read_as_clock_times() -> None:
    policy = policy_from_text(
        "policy: x\ncategories: {}\noverlays:\n  - id: n\n    when:\n"
        "      time: [{from: 21:00, to: 06:30}]\n    categories: {Alcohol: {block: 1}}\n"
    )
    assert policy.overlays[0].when is not None
    assert policy.overlays[0].when.windows == ((21 * 60, 6 * 60 + 30),)


def test_yaml_syntax_error_and_duplicate_key_have_positions() -> None:
    assert problems("policy: x\ncategories: {Alcohol: [}\n")[0].startswith("p.yaml:2:")
    assert problems("policy: x\npolicy: y\ncategories: {}\n") == [
        "p.yaml:2:1: duplicate key 'policy'"
    ]


def test_missing_file_is_a_policy_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyValidationError, match="cannot read the file"):
        load_policy(tmp_path / "nope.yaml")


def test_redundant_carve_out_is_a_warning_not_an_error() -> None:
    policy = policy_from_text(
        "policy: x\ncategories:\n  Explicit Nudity: ignore\n  Exposed Female Nipple: ignore\n",
        "p.yaml",
    )
    assert policy.warnings == (
        "p.yaml:4:3: warning: 'Exposed Female Nipple' is already carved out by 'Explicit Nudity'",
    )
