"""The candidate policy of a tuning run: the policy's own YAML with the tuned thresholds.

The source is edited in place — each tuned ``block``/``review`` number of the base layer's
category rules is replaced where the YAML has it, with a comment saying what it was and why —
so every other line, comment and overlay stays as written, and the result loads, checks,
backtests and activates like any other policy. A header says where the thresholds came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from modgate.policy.loader import policy_from_text
from modgate.policy.model import Policy
from modgate.policy.source import parse_yaml
from modgate.policy.tuning import Bands

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?")


def candidate_source(
    policy: Policy, changes: Mapping[str, Bands], header: list[str], notes: Mapping[str, str]
) -> str:
    """``policy``'s source with ``changes`` (category → proposed bands) applied; ``header``
    lines go on top as comments, ``notes[category]`` after each changed number."""
    lines = policy.source.splitlines()
    document = parse_yaml(policy.source, policy.filename)
    edits: list[tuple[int, int, str, str]] = []  # (line, column, new number, comment)
    for category, bands in changes.items():
        current = policy.base.categories[category]
        for band in ("block", "review"):
            value = getattr(bands, band)
            old = getattr(current, band)
            if value is None or old is None or int(round(old)) == value:
                continue
            where = document.positions.get(("categories", category, band))
            if where is None:
                raise ValueError(f"{category}.{band} has no position in {policy.filename}")
            comment = f"tuned from {_plain(old)}: {notes.get(category, '')}".strip()
            edits.append((where[0] - 1, where[1] - 1, str(value), comment))
    for line_index, column, number, comment in sorted(edits, reverse=True):
        line = lines[line_index]
        found = _NUMBER.match(line, column)
        if found is None:
            raise ValueError(f"{policy.filename}:{line_index + 1}: no number at column {column}")
        rest = line[found.end() :]
        edited = line[:column] + number + rest
        if not rest.strip():  # a block-style line: room for a comment after the number
            edited += f"  # {comment}"
        lines[line_index] = edited
    top = [f"# {text}" if text else "#" for text in header]
    text = "\n".join(top + lines) + "\n"
    policy_from_text(text, policy.filename)  # refuses an edit that broke the policy
    return text


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
