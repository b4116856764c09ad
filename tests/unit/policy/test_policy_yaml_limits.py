"""Reading a policy or cases file costs time and memory in proportion to its size.

YAML anchors and aliases (a few hundred bytes expanding to millions of values, or recursing
forever), merge keys, deep nesting, huge documents and huge numbers are refused with the stable
code ``UnsafePolicyYamlError`` and the place in the file, before anything is expanded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modgate.errors import PolicyCasesError, PolicyValidationError, UnsafePolicyYamlError
from modgate.policy import load_policy, policy_from_text
from modgate.policy.cases import run_cases
from modgate.policy.source import MAX_DEPTH, MAX_DOCUMENT_BYTES

pytestmark = pytest.mark.timeout(60)


def billion_laughs(levels: int = 9) -> str:
    """The classic: each level is a list of nine aliases of the level before (9**9 strings)."""
    lines = ["policy: laughs", "categories: {}", 'a: &a ["lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        previous, current = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{current}: &{current} [{','.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"


def refused(text: str) -> str:
    with pytest.raises(UnsafePolicyYamlError) as caught:
        policy_from_text(text, "p.yaml")
    assert caught.value.code == "UnsafePolicyYamlError"
    assert caught.value.http_status == 400
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


def test_billion_laughs_is_refused_at_the_first_anchor() -> None:
    assert refused(billion_laughs()) == (
        "p.yaml:3:4: YAML anchors (&a) are not allowed: write the value out in full where it is "
        "used"
    )


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    problem = refused("policy: loop\ncategories: &c\n  Explicit: *c\n")
    assert problem.startswith("p.yaml:2:13: YAML anchors (&c) are not allowed")


def test_an_alias_without_an_anchor_is_refused_as_an_alias() -> None:
    problem = refused("policy: x\ncategories: *nowhere\n")
    assert problem.startswith("p.yaml:2:13: YAML aliases (*nowhere) are not allowed")


def test_merge_keys_are_refused() -> None:
    problem = refused("policy: x\ncategories:\n  Alcohol:\n    <<: {block: 90}\n    review: 50\n")
    assert problem == "p.yaml:4:5: YAML merge keys (<<) are not allowed: write the keys out in full"


def test_a_quoted_merge_key_is_an_ordinary_unknown_field() -> None:
    with pytest.raises(PolicyValidationError) as caught:
        policy_from_text("policy: x\ncategories: {}\n'<<': 1\n", "p.yaml")
    assert type(caught.value) is PolicyValidationError
    assert "unknown field '<<'" in caught.value.problems[0]


def test_nesting_deeper_than_the_limit_is_refused_without_recursing() -> None:
    deep = "policy: x\ncategories: {}\nnote: " + "[" * 100_000 + "]" * 100_000 + "\n"
    problem = refused(deep)
    assert problem == (
        f"p.yaml:3:{7 + MAX_DEPTH - 1}: nested more than {MAX_DEPTH} levels deep; "
        "flatten the document"
    )


def test_nesting_up_to_the_limit_is_read() -> None:
    nested = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    with pytest.raises(PolicyValidationError) as caught:
        policy_from_text(f"policy: x\ncategories: {{}}\nnote: {nested}\n", "p.yaml")
    assert type(caught.value) is PolicyValidationError  # a schema error, not a refusal
    assert "unknown field 'note'" in caught.value.problems[0]


def test_a_document_over_one_mebibyte_is_refused_before_parsing() -> None:
    text = "policy: x\ncategories: {}\n# " + "x" * MAX_DOCUMENT_BYTES + "\n"
    assert refused(text) == "p.yaml:1:1: the document is larger than 1048576 bytes (1 MiB)"


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("policy: x\ncategories: {}\n# " + "é" * (3 * MAX_DOCUMENT_BYTES) + "\n")
    with pytest.raises(UnsafePolicyYamlError, match=r"big.yaml:1:1: the document is larger"):
        load_policy(big)


def test_a_file_that_is_not_utf8_is_a_policy_error(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"policy: x\ncategories: {}\ndescription: caf\xe9\n")
    with pytest.raises(PolicyValidationError, match="latin.yaml:1:1: the file is not UTF-8 text"):
        load_policy(latin)


@pytest.mark.parametrize("number", ["9" * 5000, "1" + ":1" * 100_000, "0x" + "f" * 200])
def test_overlong_numbers_are_refused(number: str) -> None:
    problem = refused(f"policy: x\ncategories:\n  Alcohol: {{block: {number}}}\n")
    assert problem == f"p.yaml:3:20: a number of {len(number)} characters; at most 64 are allowed"


def test_clock_times_and_ordinary_numbers_still_read() -> None:
    policy = policy_from_text(
        "policy: x\ncategories:\n  Alcohol: {block: 90.5, review: 60}\noverlays:\n  - id: n\n"
        "    when: {time: [{from: 21:00, to: 06:30}]}\n    categories: {Alcohol: {block: 1}}\n"
    )
    assert policy.base.categories["Alcohol"].block == 90.5
    assert policy.overlays[0].when is not None
    assert policy.overlays[0].when.windows == ((21 * 60, 6 * 60 + 30),)


def test_a2i_conditions_as_a_deeply_nested_json_string_are_a_problem() -> None:
    sampling = '{"ConditionType":"Sampling","ConditionParameters":{"RandomSamplingPercentage":5}}'
    nested = '{"Conditions":[' + '{"And":[' * 2000 + sampling + "]}" * 2000 + "]}"
    with pytest.raises(PolicyValidationError) as caught:
        policy_from_text(
            f"policy: x\ncategories: {{}}\na2i:\n  conditions: {json.dumps(nested)}\n", "p.yaml"
        )
    assert caught.value.problems == [
        f"p.yaml:4:15: A2I conditions: nested more than {MAX_DEPTH} levels deep"
    ]


def test_a2i_conditions_as_a_json_string_still_work() -> None:
    check = (
        '{"ConditionType":"ModerationLabelConfidenceCheck","ConditionParameters":'
        '{"ModerationLabelName":"Alcohol","ConfidenceGreaterThan":50}}'
    )
    conditions = json.dumps('{"Conditions":[{"And":[' + check + "]}]}")
    policy = policy_from_text(f"policy: x\ncategories: {{}}\na2i:\n  conditions: {conditions}\n")
    assert policy.base.a2i is not None


def test_a_cases_file_with_aliases_is_refused(tmp_path: Path) -> None:
    cases = tmp_path / "p.cases.yaml"
    cases.write_text("cases:\n  - &one {name: a, labels: {Alcohol: 90}, expect: allow}\n  - *one\n")
    policy = policy_from_text("policy: x\ncategories: {}\n")
    with pytest.raises(PolicyCasesError, match=r"p.cases.yaml:2:5: YAML anchors \(&one\)"):
        run_cases(policy, cases)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13-45", "month must be in 1..12"),
        ("!!int abc", "invalid literal for int() with base 10: 'abc'"),
    ],
)
def test_a_value_yaml_cannot_build_is_a_policy_error_with_its_place(
    value: str, message: str
) -> None:
    with pytest.raises(PolicyValidationError) as caught:
        policy_from_text(f"policy: x\ncategories: {{}}\ndescription: {value}\n", "p.yaml")
    assert caught.value.problems == [f"p.yaml:3:14: invalid value: {message}"]
