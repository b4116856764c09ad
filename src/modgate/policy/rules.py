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
from modgate.taxonomy.detections import Label, TextLine, TimelineEntry

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
    trace: list[TraceStep],
    matched: list[Match],
) -> list[Fired]:
    """Each text rule over the lines read at or above its ``min_confidence``."""
    fired: list[Fired] = []
    for rule, patterns in rules:
        usable = "\n".join(
            line.text if line.confidence >= rule.min_confidence else "" for line in lines
        )
        for pattern in patterns:
            hit = pattern.search(usable)
            if hit:
                trace.append(("text", hit.group(0), None, rule.id, rule.action))
                matched.append(Match("text", 100.0, rule.action, rule.id, (), hit.group(0)))
                fired.append((SEVERITY[rule.action], rule.order, rule))
                break
        else:
            trace.append(("text", "no match", None, rule.id, "allow"))
    return fired


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
