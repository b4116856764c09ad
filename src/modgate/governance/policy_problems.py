"""The problems of a policy's YAML as the console's editor shows them: each error and warning of
validation at its line and column."""

from __future__ import annotations

import re
from dataclasses import dataclass

from modgate.errors import PolicyValidationError
from modgate.policy.loader import policy_from_text

_POSITION = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<column>\d+): (?P<message>.*)$", re.S)


@dataclass(frozen=True, slots=True)
class Problem:
    """A validation problem at a line and column of the YAML (0 when the place is unknown)."""

    line: int
    column: int
    message: str

    @classmethod
    def parse(cls, text: str) -> Problem:
        found = _POSITION.match(text)
        if found is None:
            return cls(0, 0, text)
        return cls(int(found["line"]), int(found["column"]), found["message"])


def problems_of(source: str) -> tuple[list[Problem], list[Problem]]:
    """The errors and warnings of a policy's YAML, each at its line and column."""
    try:
        policy = policy_from_text(source, "policy.yaml")
    except PolicyValidationError as exc:
        return [Problem.parse(p) for p in exc.problems], []
    return [], [Problem.parse(w) for w in policy.warnings]
