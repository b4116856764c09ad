"""Reading the verdict form of the review page into a ``VerdictInput``.

Labels are posted by position (``label_0=right|wrong``) so label names never have to be form
field names; missed labels come as one comma-separated field.
"""

from __future__ import annotations

from typing import Any

from modgate.errors import InvalidParameterException
from modgate.review.models import VerdictInput


def verdict_from_form(form: Any, flagged: list[str]) -> VerdictInput:
    labels: dict[str, bool] = {}
    for index, name in enumerate(flagged):
        value = str(form.get(f"label_{index}") or "")
        if value not in ("right", "wrong"):
            raise InvalidParameterException(f"Say whether {name!r} was right or wrong.")
        labels[name] = value == "right"
    missed = tuple(
        part.strip() for part in str(form.get("missed") or "").split(",") if part.strip()
    )
    try:
        seconds = float(str(form.get("seconds_spent") or 0))
    except ValueError:
        seconds = 0.0
    return VerdictInput(
        str(form.get("action") or ""), labels, missed, str(form.get("note") or ""), seconds
    )
