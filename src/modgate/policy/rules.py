"""The policy's rules beyond confidence bands: text, video duration and A2I conditions.

``engine.py`` compiles them with each table (``compile_text``, ``covered_labels``) and calls the
``evaluate_*`` functions here after the bands. Each returns the rules that fired as
``(severity, order, rule)`` for the engine to choose from, and adds its steps to the trace and
its matches to the decision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

from modgate.policy.conditions import sampling_draw
from modgate.policy.context import Context
from modgate.policy.decision import Match, TraceStep
from modgate.policy.model import SEVERITY, A2IRule, BandRule, TextRule, VideoRule
from modgate.policy.patterns import TextPattern, compile_text_pattern
from modgate.taxonomy import taxonomy_v7
from modgate.taxonomy.detections import Label, TextFindings, TextLine, TimelineEntry

# A rule that fired: (severity, order in the file, the rule).
Fired = tuple[int, float, BandRule | TextRule | VideoRule | A2IRule]
CompiledText = tuple[TextRule, list[TextPattern]]
CompiledVideo = tuple[VideoRule, frozenset[str]]


def compile_text(rule: TextRule) -> CompiledText:
    """The rule with its patterns compiled; words become one whole-word, any-case pattern."""
    patterns: list[TextPattern] = [compile_text_pattern(p) for p in rule.patterns]
    if rule.words:
        words = "|".join(re.escape(w) for w in sorted(rule.words, key=len, reverse=True))
        patterns.insert(0, re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE))
    return rule, patterns


def covered_labels(rule: VideoRule) -> CompiledVideo:
    """The rule with the names it counts: its label's subtree, less the excluded subtrees."""
    taxonomy = taxonomy_v7()
    excluded: set[str] = set()
    for name in rule.exclude:
        excluded.add(name)
        excluded.update(d.name for d in taxonomy.descendants(name))
    names = {rule.label, *(d.name for d in taxonomy.descendants(rule.label))} - excluded
    names.update(alias for alias in taxonomy._aliases if taxonomy.canonical(alias) in names)
    return rule, frozenset(names)


def stamps(entries: Sequence[TimelineEntry], name: str, threshold: float) -> tuple[int, ...]:
    """Start times of the samples where ``name`` is at or above ``threshold``."""
    return tuple(
        sorted(
            {
                entry.start_ms
                for entry in entries
                if entry.label.name == name and entry.label.confidence >= threshold
            }
        )
    )


def evaluate_text(
    rules: Sequence[CompiledText],
    lines: Sequence[TextLine],
    findings: Sequence[TextFindings],
    trace: list[TraceStep],
    matched: list[Match],
) -> list[Fired]:
    """Each text rule: its words and patterns over the lines read at or above its
    ``min_confidence`` and the texts detectors read, then its labels and personal data over
    the findings. A hit in text a video showed carries the times it was shown."""
    fired: list[Fired] = []
    for rule, patterns in rules:
        usable = [line.text if line.confidence >= rule.min_confidence else "" for line in lines]
        # Text read in an image is in ``lines`` already (with its confidence).
        texts = [*usable, *(f.read for f in findings if not (lines and f.source == "ocr"))]
        joined = "\n".join(texts)
        hit = _first_hit(rule, patterns, joined, findings) or _label_hit(rule, findings)
        if hit is None:
            trace.append(("text", "no match", None, rule.id, "allow"))
            continue
        label, text, confidence, stamps = hit
        trace.append(("text", text if text is not None else label, None, rule.id, rule.action))
        matched.append(Match(label, confidence, rule.action, rule.id, stamps, text))
        fired.append((SEVERITY[rule.action], rule.order, rule))
    return fired


# What fired a text rule: "text" and the text a word or pattern matched, or the toxicity label
# (or personal data type) and None; its score; the times a video showed it.
TextHit = tuple[str, str | None, float, tuple[int, ...]]


def _first_hit(
    rule: TextRule, patterns: Sequence[TextPattern], joined: str, findings: Sequence[TextFindings]
) -> TextHit | None:
    for pattern in patterns:
        hit = pattern.search(joined)
        if hit:
            stamps = tuple(
                sorted(
                    {
                        item.timestamp_ms
                        for item in findings
                        if item.timestamp_ms is not None and pattern.search(item.read)
                    }
                )
            )
            return "text", hit.group(0), 100.0, stamps
    return None


def _label_hit(rule: TextRule, findings: Sequence[TextFindings]) -> TextHit | None:
    for name, threshold in rule.labels:
        shown = [item for item in findings if item.score(name) >= threshold]
        if shown:
            score = max(item.score(name) for item in shown)
            return name, None, score, _stamps(shown)
    for kind in rule.pii:
        shown = [item for item in findings if any(e.type == kind for e in item.entities)]
        if shown:
            score = max(e.score for item in shown for e in item.entities if e.type == kind)
            return kind, None, score, _stamps(shown)
    return None


def _stamps(findings: Iterable[TextFindings]) -> tuple[int, ...]:
    return tuple(sorted({f.timestamp_ms for f in findings if f.timestamp_ms is not None}))


def evaluate_video(
    rules: Sequence[CompiledVideo],
    entries: Sequence[TimelineEntry],
    trace: list[TraceStep],
    matched: list[Match],
) -> list[Fired]:
    """Each video rule: the union of the time its labels are flagged, against its minimum."""
    fired: list[Fired] = []
    for rule, covered in rules:
        point_ms = rule.point_duration_ms
        spans = sorted(
            (e.start_ms, e.start_ms + point_ms if e.end_ms is None else e.end_ms)
            for e in entries
            if e.label.name in covered and e.label.confidence >= rule.min_confidence
        )
        total = union_length(spans)
        peak = max((e.label.confidence for e in entries if e.label.name in covered), default=0.0)
        if spans and total >= rule.min_duration_ms:
            trace.append(("video", f"{rule.label} for {total} ms", peak, rule.id, rule.action))
            matched.append(
                Match(rule.label, peak, rule.action, rule.id, tuple(start for start, _ in spans))
            )
            fired.append((SEVERITY[rule.action], rule.order, rule))
        else:
            trace.append(
                ("video", f"{rule.label} for {total} ms", peak or None, rule.id, "not long enough")
            )
    return fired


def union_length(spans: Iterable[tuple[int, int]]) -> int:
    """The length of the union of ``spans`` (sorted by start)."""
    total, current_start, current_end = 0, None, None
    for start, end in spans:
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total


def evaluate_a2i(
    rule: A2IRule,
    samples: bool,
    labels: Sequence[Label],
    context: Context,
    trace: list[TraceStep],
    matched: list[Match],
) -> list[Fired]:
    """The A2I conditions over the labels; ``samples``: the conditions draw a sample."""
    confidences = {label.name: label.confidence for label in labels}
    draw = 100.0
    if samples:
        key = context.item_key or json.dumps(sorted(confidences.items()))
        draw = sampling_draw(key)
    passed, hits = rule.condition.evaluate(confidences, draw)
    if not passed:
        trace.append(("a2i", "HumanLoopActivationConditions", None, rule.id, "not met"))
        return []
    subject = ", ".join(hits) if hits else "sampled"
    trace.append(("a2i", subject, None, rule.id, "review"))
    for name in hits:
        matched.append(Match(name, confidences[name], "review", rule.id))
    if not hits:
        matched.append(Match("sampled", draw, "review", rule.id))
    return [(SEVERITY["review"], rule.order, rule)]
