"""JSON as the moderation routes accept it: strict (no ``NaN``, ``Infinity``, numbers too big
for a float, or nesting past the parser's limit), whether a whole body or a multipart field."""

from __future__ import annotations

import json
import math
from typing import Any

from modgate.errors import InvalidParameterException


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} is out of range")
    return number


def strict_json(data: str | bytes) -> Any:
    """Strict JSON: ``NaN``, ``Infinity`` and numbers too big for a float are refused, since
    the answer (and every later read of what was stored) could not be written as JSON; nesting
    deeper than the parser's recursion limit is refused as well. Bytes may be UTF-8 with a BOM,
    UTF-16 or UTF-32. Raises ValueError."""
    try:
        return json.loads(data, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc


def json_field(value: Any, name: str) -> Any:
    """A multipart field holding a JSON object; an empty field (a blank form input) is absent,
    as the other fields' are."""
    if value is None or value == "" or isinstance(value, dict):
        return value or None
    try:
        parsed = strict_json(value)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterException(f"{name} is not valid JSON: {exc}.") from exc
    if not isinstance(parsed, dict):
        raise InvalidParameterException(f"{name} must be a JSON object.")
    return parsed
