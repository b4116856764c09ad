"""docs/coverage.md names every v7 label and, for each, the built-in detectors that emit it."""

from __future__ import annotations

import re
from pathlib import Path

from modgate.detection.registry import available_detectors
from modgate.taxonomy import taxonomy_v7

DOC = Path(__file__).parents[3] / "docs" / "coverage.md"


def rows() -> dict[str, str]:
    """label → detector cell of the coverage table."""
    table = {}
    for line in DOC.read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().split("|")[1:-1]]
        if len(cells) == 5 and not cells[0].startswith("---"):
            name = next((cell for cell in reversed(cells[:3]) if cell), "")
            table[name] = cells[3]
    return table


def test_every_v7_label_has_a_row() -> None:
    table = rows()
    missing = [label.name for label in taxonomy_v7() if label.name not in table]
    assert not missing


def test_every_emitted_label_is_credited_to_its_detector() -> None:
    table = rows()
    for name, cls in available_detectors().items():
        if not cls.__module__.startswith("modgate.detection.detectors."):
            continue  # a plugin installed from elsewhere
        for label in cls.labels:
            assert re.search(rf"`{name}`", table[label]), (name, label)
