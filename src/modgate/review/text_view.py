"""A moderation's texts as the review console shows them: each text cut into runs, the runs that
detectors flagged marked with the labels (or personal data types) behind them.

The console renders the runs with ``<mark>``; flagged words start masked and a reviewer unmasks
them at will, so a slur is not read unless the reviewer chooses to. Offsets come from the
stored findings (characters of the text as sent), so the marks fall on the words the sender
wrote, whatever normalisation undid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from modgate.taxonomy.comprehend_json import findings_list_from_json
from modgate.taxonomy.detections import TextFindings

# The overall label covers every other label's words: marking it adds nothing.
_NOT_MARKED = frozenset({"TOXICITY"})
_SOURCES = {"text": "Text", "caption": "Caption", "ocr": "Text in the picture"}


def text_views(stored: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The texts of a moderation's ``text_findings``, ready for the template."""
    return [_view(findings) for findings in findings_list_from_json(stored)]


def _view(findings: TextFindings) -> dict[str, Any]:
    marks: list[tuple[int, int, str]] = [
        (span.begin, span.end, label.name)
        for label in findings.labels
        if label.name not in _NOT_MARKED
        for span in label.spans
    ]
    marks += [(entity.begin, entity.end, entity.type) for entity in findings.entities]
    source = _SOURCES.get(findings.source, findings.source)
    if findings.timestamp_ms is not None:
        source += f" at {findings.timestamp_ms / 1000:.1f} s"
    return {
        "source": source,
        "parts": runs(findings.text, marks),
        "labels": [
            {"name": label.name, "score": label.score}
            for label in findings.labels
            if label.score >= 50.0
        ],
        "entities": sorted({entity.type for entity in findings.entities}),
        "mixed_script": findings.mixed_script,
    }


def runs(text: str, marks: Iterable[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """``text`` cut at every mark's ends: ``{"text", "labels"}`` per run, ``labels`` empty for
    an unmarked run. Linear in the marks (sorted once), whatever their overlaps."""
    length = len(text)
    edges: dict[int, list[tuple[int, str]]] = {}
    for begin, end, name in marks:
        begin, end = max(0, min(begin, length)), max(0, min(end, length))
        if end > begin:
            edges.setdefault(begin, []).append((1, name))
            edges.setdefault(end, []).append((-1, name))
    out: list[dict[str, Any]] = []
    active: dict[str, int] = {}
    position = 0
    for cut in sorted({0, length, *edges}):
        if cut > position:
            names = sorted(name for name, count in active.items() if count > 0)
            out.append({"text": text[position:cut], "labels": names})
            position = cut
        for step, name in edges.get(cut, ()):
            active[name] = active.get(name, 0) + step
    return out
