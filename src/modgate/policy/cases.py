"""Policy test cases: a YAML list of detections, a context and the expected action.

Like OPA's ``opa test``: every case runs through the real engine; a case passes when the action
(and, if given, the rule id, review queue and reviewer count) match. ``labels`` is a shorthand:
``{"Exposed Female Nipple": 95}`` expands to the label with its ancestors at the same
confidence, as Rekognition returns them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modgate.errors import ModgateError, PolicyCasesError, PolicyValidationError
from modgate.policy.context import Context
from modgate.policy.decision import Decision
from modgate.policy.engine import evaluate
from modgate.policy.model import ACTIONS, Policy
from modgate.policy.source import parse_yaml
from modgate.taxonomy import taxonomy_v7
from modgate.taxonomy.detections import Detections, Label
from modgate.taxonomy.rekognition_json import detections_from_json


@dataclass(frozen=True)
class CaseResult:
    name: str
    where: str
    passed: bool
    expected: str
    decision: Decision | None
    problems: tuple[str, ...] = ()


def expand_labels(labels: Mapping[str, float]) -> tuple[Label, ...]:
    """Shorthand labels → labels with their ancestors (each at the highest confidence given),
    deepest first, as Rekognition lists them."""
    taxonomy = taxonomy_v7()
    found: dict[str, float] = {}
    for name, confidence in labels.items():
        for label in taxonomy.lineage(name):
            found[label.name] = max(found.get(label.name, 0.0), float(confidence))
    deepest_first = sorted(found.items(), key=lambda i: -taxonomy.get(i[0]).level)
    return tuple(
        Label(name, confidence, taxonomy.get(name).parent_name, taxonomy.get(name).level)
        for name, confidence in deepest_first
    )


def run_cases(
    policy: Policy, cases_path: str | Path, *, text: str | None = None
) -> list[CaseResult]:
    path = Path(cases_path)
    if text is None:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise PolicyCasesError(f"{path}: cannot read the file: {exc.strerror}") from exc
    try:
        doc = parse_yaml(text, str(path))
    except PolicyValidationError as exc:
        raise PolicyCasesError("\n".join(exc.problems)) from exc
    cases = doc.data.get("cases") if isinstance(doc.data, dict) else None
    if not isinstance(cases, list) or not cases:
        raise PolicyCasesError(f"{doc.where(())}: expected a mapping with a non-empty 'cases' list")
    results = []
    for index, case in enumerate(cases):
        where = doc.where(("cases", index))
        if not isinstance(case, dict):
            raise PolicyCasesError(f"{where}: a case must be a mapping")
        results.append(_run_case(policy, case, where, path.parent))
    return results


def _run_case(policy: Policy, case: dict[str, Any], where: str, folder: Path) -> CaseResult:
    name = str(case.get("name") or where)
    expected = case.get("expect")
    if expected not in ACTIONS:
        raise PolicyCasesError(f"{where}: 'expect' must be one of {', '.join(ACTIONS)}")
    detections = _detections(case, where, folder)
    now = case.get("now")
    clock = dt.datetime.fromisoformat(str(now)) if now else None
    try:
        context = Context.from_dict(case.get("context") or {}, now=clock)
        decision = evaluate(policy, detections, context)
    except ModgateError as exc:
        return CaseResult(name, where, False, expected, None, (f"{exc.code}: {exc.message}",))
    problems = []
    if decision.action != expected:
        problems.append(f"expected {expected}, got {decision.action} (rule {decision.rule})")
    if "rule" in case and decision.rule != case["rule"]:
        problems.append(f"expected rule {case['rule']}, got {decision.rule}")
    route = decision.review
    if "queue" in case and (route is None or route.queue != case["queue"]):
        problems.append(f"expected queue {case['queue']}, got {route.queue if route else None}")
    if "reviewers" in case and (route is None or route.reviewers != case["reviewers"]):
        problems.append(
            f"expected {case['reviewers']} reviewers, got {route.reviewers if route else None}"
        )
    return CaseResult(name, where, not problems, expected, decision, tuple(problems))


def _detections(case: dict[str, Any], where: str, folder: Path) -> Detections:
    """The case's detections: a JSON file, or ``detections`` (Rekognition JSON) in the case,
    its labels replaced by the ``labels`` shorthand and its text by ``text``."""
    if "detections_file" in case:
        try:
            data = json.loads((folder / str(case["detections_file"])).read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise PolicyCasesError(f"{where}: cannot read detections_file: {exc}") from exc
        return _parsed(data, where)
    detections: dict[str, Any] = dict(case.get("detections") or {})
    labels = None
    if "labels" in case:
        try:
            labels = expand_labels(case["labels"] or {})
        except ModgateError as exc:
            raise PolicyCasesError(f"{where}: {exc.message}") from exc
    if "text" in case:
        detections["Text"] = case["text"]
    return _parsed(detections, where, labels)


def _parsed(data: Any, where: str, labels: tuple[Label, ...] | None = None) -> Detections:
    try:
        return detections_from_json(data, labels)
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyCasesError(f"{where}: detections are not Rekognition JSON: {exc!r}") from exc
