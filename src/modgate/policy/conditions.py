"""Amazon A2I ``HumanLoopActivationConditions`` for moderation, evaluated locally.

The JSON is accepted unchanged: ``ModerationLabelConfidenceCheck`` (exact, case-sensitive label
name or ``*`` for any label, one of ``ConfidenceEquals|LessThan|LessThanEquals|GreaterThan|
GreaterThanEquals``), ``Sampling`` (``RandomSamplingPercentage`` 0.01-100), nested with ``And`` /
``Or``. The top-level ``Conditions`` list is true when any member is. Sampling is deterministic:
the same item key always draws the same number, as A2I does for repeated identical requests.
A label check is true for the labels that were detected and pass it; an absent label never does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "ConfidenceEquals": lambda value, limit: value == limit,
    "ConfidenceLessThan": lambda value, limit: value < limit,
    "ConfidenceLessThanEquals": lambda value, limit: value <= limit,
    "ConfidenceGreaterThan": lambda value, limit: value > limit,
    "ConfidenceGreaterThanEquals": lambda value, limit: value >= limit,
}


@dataclass(frozen=True, slots=True)
class LabelCheck:
    label: str
    comparison: str
    limit: float

    def evaluate(self, labels: Mapping[str, float], draw: float) -> tuple[bool, tuple[str, ...]]:
        compare = COMPARISONS[self.comparison]
        if self.label == "*":
            hits = tuple(name for name, value in labels.items() if compare(value, self.limit))
            return bool(hits), hits
        value = labels.get(self.label)
        if value is not None and compare(value, self.limit):
            return True, (self.label,)
        return False, ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ConditionType": "ModerationLabelConfidenceCheck",
            "ConditionParameters": {"ModerationLabelName": self.label, self.comparison: self.limit},
        }


@dataclass(frozen=True, slots=True)
class Sampling:
    percentage: float

    def evaluate(self, labels: Mapping[str, float], draw: float) -> tuple[bool, tuple[str, ...]]:
        return draw < self.percentage, ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ConditionType": "Sampling",
            "ConditionParameters": {"RandomSamplingPercentage": self.percentage},
        }


@dataclass(frozen=True, slots=True)
class AllOf:
    members: tuple[Condition, ...]
    key: str = "And"

    def evaluate(self, labels: Mapping[str, float], draw: float) -> tuple[bool, tuple[str, ...]]:
        hits: list[str] = []
        for member in self.members:
            passed, found = member.evaluate(labels, draw)
            if not passed:
                return False, ()
            hits.extend(found)
        return True, tuple(dict.fromkeys(hits))

    def to_json(self) -> dict[str, Any]:
        return {self.key: [member.to_json() for member in self.members]}


@dataclass(frozen=True, slots=True)
class AnyOf:
    members: tuple[Condition, ...]
    key: str = "Or"

    def evaluate(self, labels: Mapping[str, float], draw: float) -> tuple[bool, tuple[str, ...]]:
        # A2I evaluates every member so reviewers see all labels whose conditions held.
        passed_any = False
        hits: list[str] = []
        for member in self.members:
            passed, found = member.evaluate(labels, draw)
            if passed:
                passed_any = True
                hits.extend(found)
        return passed_any, tuple(dict.fromkeys(hits))

    def to_json(self) -> dict[str, Any]:
        return {self.key: [member.to_json() for member in self.members]}


Condition = LabelCheck | Sampling | AllOf | AnyOf


class ConditionFormatError(ValueError):
    """Raised with a JSON path (tuple) and a message when the conditions are malformed."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


def parse_conditions(raw: Any, path: tuple[str | int, ...] = ()) -> AnyOf:
    """Parse ``{"Conditions": [...]}`` (object or JSON string) into a condition tree."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConditionFormatError(path, f"invalid JSON: {exc.msg} at char {exc.pos}") from exc
    if not isinstance(raw, dict) or set(raw) != {"Conditions"}:
        raise ConditionFormatError(path, 'expected an object with only "Conditions"')
    members = _parse_list(raw["Conditions"], (*path, "Conditions"))
    return AnyOf(members, key="Conditions")


def _parse_list(raw: Any, path: tuple[str | int, ...]) -> tuple[Condition, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConditionFormatError(path, "expected a non-empty list of conditions")
    return tuple(_parse_one(item, (*path, index)) for index, item in enumerate(raw))


def _parse_one(raw: Any, path: tuple[str | int, ...]) -> Condition:
    if not isinstance(raw, dict):
        raise ConditionFormatError(path, "a condition must be an object")
    if set(raw) == {"And"}:
        return AllOf(_parse_list(raw["And"], (*path, "And")))
    if set(raw) == {"Or"}:
        return AnyOf(_parse_list(raw["Or"], (*path, "Or")))
    if set(raw) != {"ConditionType", "ConditionParameters"}:
        raise ConditionFormatError(
            path, "a condition is And, Or, or ConditionType with ConditionParameters"
        )
    kind, params = raw["ConditionType"], raw["ConditionParameters"]
    if not isinstance(params, dict):
        raise ConditionFormatError((*path, "ConditionParameters"), "expected an object")
    if kind == "Sampling":
        percentage = params.get("RandomSamplingPercentage")
        if set(params) != {"RandomSamplingPercentage"} or not _number(percentage):
            raise ConditionFormatError(
                (*path, "ConditionParameters"), "Sampling takes only RandomSamplingPercentage"
            )
        if not isinstance(percentage, int | float):
            raise ConditionFormatError(
                (*path, "ConditionParameters"), "Sampling takes only RandomSamplingPercentage"
            )
        if not 0.01 <= percentage <= 100:
            raise ConditionFormatError(
                (*path, "ConditionParameters", "RandomSamplingPercentage"),
                "RandomSamplingPercentage must be between 0.01 and 100",
            )
        return Sampling(float(percentage))
    if kind == "ModerationLabelConfidenceCheck":
        name = params.get("ModerationLabelName")
        comparisons = [key for key in params if key in COMPARISONS]
        if not isinstance(name, str) or len(comparisons) != 1 or len(params) != 2:
            raise ConditionFormatError(
                (*path, "ConditionParameters"),
                "ModerationLabelConfidenceCheck takes ModerationLabelName and exactly one of "
                + ", ".join(COMPARISONS),
            )
        limit = params[comparisons[0]]
        if not _number(limit):
            raise ConditionFormatError(
                (*path, "ConditionParameters", comparisons[0]), "expected a number"
            )
        return LabelCheck(name, comparisons[0], limit)
    raise ConditionFormatError(
        (*path, "ConditionType"),
        f"unknown ConditionType {kind!r}: use ModerationLabelConfidenceCheck or Sampling",
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def label_names(condition: Condition) -> list[tuple[str, LabelCheck]]:
    """Every label check in the tree (for validation)."""
    if isinstance(condition, LabelCheck):
        return [(condition.label, condition)]
    if isinstance(condition, AllOf | AnyOf):
        return [pair for member in condition.members for pair in label_names(member)]
    return []


def sampling_draw(item_key: str) -> float:
    """A number in [0, 100) fixed by ``item_key``: the same item always draws the same."""
    digest = hashlib.sha256(item_key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 1_000_000 / 10_000
