"""``modgate policy check`` / ``policy test`` as a user runs them, on files built to exhaust the
process: each is refused with ``CODE: message`` and exit status 2, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from servers import run_modgate

pytestmark = pytest.mark.timeout(120)

LAUGHS = """policy: laughs
categories: {}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


def check(tmp_path: Path, name: str, text: str, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(text)
    env = dict(os.environ) | {"MODGATE_DATA_DIR": str(tmp_path / "data")}
    command = ["policy", "test", str(path), *extra] if extra else ["policy", "check", str(path)]
    result = run_modgate(command, env, timeout=100)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "laughs.yaml",
            LAUGHS,
            "UnsafePolicyYamlError: {path}:3:4: YAML anchors (&a) are not allowed",
        ),
        (
            "recursive.yaml",
            "policy: loop\ncategories: &c\n  Explicit: *c\n",
            "UnsafePolicyYamlError: {path}:2:13: YAML anchors (&c) are not allowed",
        ),
        (
            "deep.yaml",
            "policy: deep\ncategories: {}\nnote: " + "[" * 50_000 + "\n",
            "UnsafePolicyYamlError: {path}:3:38: nested more than 32 levels deep",
        ),
        (
            "backreference.yaml",
            "policy: x\ncategories: {}\ntext:\n"
            "  - {id: doubled-word, action: review, patterns: ['(\\w+) \\1']}\n",
            "PolicyValidationError: {path}:4:51: invalid regular expression in text rule "
            "'doubled-word': backreferences such as \\1 are not supported",
        ),
    ],
    ids=["billion-laughs", "recursive-alias", "deep-nesting", "backreference"],
)
def test_policy_check_refuses_with_code_and_position(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    code, out, err = check(tmp_path, name, text)
    assert code == 2, (out, err)
    assert err.startswith(expected.format(path=tmp_path / name))
    assert "Traceback" not in err


def test_policy_test_refuses_a_cases_file_with_aliases(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("policy: x\ncategories: {}\n")
    cases = tmp_path / "p.cases.yaml"
    cases.write_text("cases:\n  - &one {name: a, labels: {Alcohol: 90}, expect: allow}\n  - *one\n")
    code, _out, err = check(tmp_path, "p.yaml", "policy: x\ncategories: {}\n", str(cases))
    assert code == 2
    assert err.startswith(f"PolicyCasesError: {cases}:2:5: YAML anchors (&one) are not allowed")
