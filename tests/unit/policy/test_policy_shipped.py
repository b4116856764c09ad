"""Every shipped policy validates against the published schema, passes its cases, and every
schema field is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from policy_helpers import POLICIES

from modgate.policy import load_policy, policy_schema
from modgate.policy.cases import run_cases

DOCS = POLICIES.parent / "docs" / "policy.md"
SHIPPED = sorted(p for p in POLICIES.glob("*.yaml") if not p.name.endswith(".cases.yaml"))


def test_there_are_shipped_policies() -> None:
    assert {p.stem for p in SHIPPED} >= {"seed", "kids", "marketplace"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_policy_validates_against_the_schema(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), policy_schema())
    assert load_policy(path).warnings == ()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_policy_has_passing_cases(path: Path) -> None:
    cases = path.with_name(f"{path.stem}.cases.yaml")
    assert cases.exists(), f"{cases} is missing"
    results = run_cases(load_policy(path), cases)
    assert len(results) >= 10
    failures = [(r.name, r.problems) for r in results if not r.passed]
    assert failures == []


def _properties(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        found.update(node.get("properties", {}))
        for value in node.values():
            found |= _properties(value)
    elif isinstance(node, list):
        for value in node:
            found |= _properties(value)
    return found


def test_every_schema_property_is_documented() -> None:
    documented = set(re.findall(r"`([A-Za-z0-9_*]+)`", DOCS.read_text()))
    missing = _properties(policy_schema()) - documented
    assert missing == set()


def test_schema_file_is_valid_json_schema() -> None:
    text = (
        Path(__file__).resolve().parents[3] / "src/modgate/policy/policy.schema.json"
    ).read_text()
    jsonschema.Draft202012Validator.check_schema(json.loads(text))


def test_seed_policy_reproduces_the_table() -> None:
    policy = load_policy(POLICIES / "seed.yaml")
    bands = {label: (rule.block, rule.review) for label, rule in policy.base.categories.items()}
    assert bands == {
        "Explicit": (90, None),
        "Violence": (None, 70),
        "Drugs & Tobacco": (None, 80),
        "Hate Symbols": (85, None),
        "Gambling": (None, 75),
        "Visually Disturbing": (None, 70),
        "*": (None, 50),
    }
