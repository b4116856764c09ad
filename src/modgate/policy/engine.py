"""The policy engine: a pure, deterministic ``evaluate(policy, detections, context) -> Decision``.

A policy is compiled once into flat lookup tables: for every taxonomy label, the effective rule
after hierarchy and layer resolution and its three thresholds. The overlays that apply to a
context are worked out once per distinct context and cached, as is the table for each overlay
combination, so evaluating one item is a dict lookup and three comparisons per label. No I/O, no
clock: time comes from the context. See ``README.md`` for the evaluation order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from modgate.policy.conditions import AllOf, AnyOf, Condition, Sampling, sampling_draw
from modgate.policy.context import Context
from modgate.policy.decision import Decision, Match, TraceStep
from modgate.policy.model import (
    ACTIONS,
    ANY_LABEL,
    SEVERITY,
    A2IRule,
    BandRule,
    DefaultRule,
    Layer,
    Policy,
    TextRule,
    VideoRule,
    When,
)
from modgate.policy.patterns import TextPattern, compile_text_pattern
from modgate.policy.regions import region_matches
from modgate.taxonomy import taxonomy_v7

INF = float("inf")
EMPTY_CONTEXT = Context()
_CACHE_LIMIT = 8192

# entry: (name, level, rule, ancestors, suppressible, block, review, annotate)
Entry = tuple[str, int, BandRule | None, tuple[str, ...], bool, float, float, float]


def evaluate(
    policy: Policy,
    detections: Any,
    context: Context | Mapping[str, Any] | None = None,
) -> Decision:
    """Decide on one item. ``detections`` is a DetectModerationLabels-shaped response (or its
    ``ModerationLabels`` list, or a GetContentModeration response for video)."""
    if context is not None and not isinstance(context, Context):
        context = Context.from_dict(context)
    return policy.compiled.evaluate(detections, context)


def when_matches(when: When, context: Context) -> bool:
    if when.regions is not None and (
        context.region is None or not region_matches(context.region, when.regions)
    ):
        return False
    if when.surfaces is not None and context.surface not in when.surfaces:
        return False
    if when.user_states is not None and context.user_state not in when.user_states:
        return False
    if when.audiences is not None:
        if context.audience is None:
            return False
        low, high = context.audience
        if not any(lo <= low and high <= hi for lo, hi in when.audiences):
            return False
    if when.windows is not None:
        minute = context.minute_of_day
        if minute is None:
            return False
        if not any(
            (start <= minute < end) if start < end else (minute >= start or minute < end)
            for start, end in when.windows
        ):
            return False
    return True


class Table:
    """Everything needed to evaluate under one combination of overlays."""

    __slots__ = ("entries", "default", "a2i", "a2i_samples", "text", "video", "overlays")

    def __init__(self, layers: Sequence[Layer]) -> None:
        taxonomy = taxonomy_v7()
        rules: dict[str, BandRule] = {}
        self.default: DefaultRule = DefaultRule()
        self.a2i: A2IRule | None = None
        text: list[TextRule] = []
        video: list[VideoRule] = []
        for index, layer in enumerate(layers):
            if index:
                # A later layer owns the whole subtree of every label it names.
                for name in layer.categories:
                    if name != ANY_LABEL:
                        for below in taxonomy.descendants(name):
                            rules.pop(below.name, None)
            rules.update(layer.categories)
            self.default = layer.default or self.default
            self.a2i = layer.a2i or self.a2i
            text.extend(layer.text)
            video.extend(layer.video)
        self.overlays = tuple(layer.id for layer in layers[1:])
        self.a2i_samples = self.a2i is not None and has_sampling(self.a2i.condition)
        self.entries = self._entries(rules)
        self.text = [_compile_text(rule) for rule in text]
        self.video = [(rule, _covered(rule)) for rule in video]

    @staticmethod
    def _entries(rules: dict[str, BandRule]) -> dict[str, Entry]:
        taxonomy = taxonomy_v7()
        catch_all = rules.get(ANY_LABEL)
        effective: dict[str, BandRule | None] = {}
        for label in taxonomy:
            found = next(
                (rules[a.name] for a in taxonomy.lineage(label.name) if a.name in rules), catch_all
            )
            effective[label.name] = found
        entries: dict[str, Entry] = {}
        for label in taxonomy:
            rule = effective[label.name]
            suppressible = any(
                effective[d.name] is not rule for d in taxonomy.descendants(label.name)
            )
            if rule is None or rule.ignore:
                bands = (INF, INF, INF)
            else:
                bands = tuple(
                    INF if v is None else float(v) for v in (rule.block, rule.review, rule.annotate)
                )  # type: ignore[assignment]
            entries[label.name] = (
                label.name,
                label.level,
                rule,
                tuple(a.name for a in taxonomy.ancestors(label.name)),
                suppressible,
                *bands,
            )
        for alias in taxonomy._aliases:  # alternate spellings resolve to the same entry
            entries[alias] = entries[taxonomy.canonical(alias)]
        return entries


def has_sampling(condition: Condition) -> bool:
    if isinstance(condition, Sampling):
        return True
    if isinstance(condition, AllOf | AnyOf):
        return any(has_sampling(member) for member in condition.members)
    return False


def _compile_text(rule: TextRule) -> tuple[TextRule, list[TextPattern]]:
    patterns: list[TextPattern] = [compile_text_pattern(p) for p in rule.patterns]
    if rule.words:
        words = "|".join(re.escape(w) for w in sorted(rule.words, key=len, reverse=True))
        patterns.insert(0, re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE))
    return rule, patterns


def _covered(rule: VideoRule) -> frozenset[str]:
    taxonomy = taxonomy_v7()
    excluded: set[str] = set()
    for name in rule.exclude:
        excluded.add(name)
        excluded.update(d.name for d in taxonomy.descendants(name))
    names = {rule.label, *(d.name for d in taxonomy.descendants(rule.label))} - excluded
    names.update(alias for alias in taxonomy._aliases if taxonomy.canonical(alias) in names)
    return frozenset(names)


class CompiledPolicy:
    """A policy turned into lookup tables, with per-context caches."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.version = policy.version
        self.name = policy.name
        self._overlays = policy.overlays
        self._combos: dict[tuple[Any, ...], tuple[int, ...]] = {}
        self._tables: dict[tuple[int, ...], Table] = {}

    def table_for(self, context: Context) -> Table:
        combo = self._combos.get(context.key)
        if combo is None:
            combo = tuple(
                i
                for i, layer in enumerate(self._overlays)
                if layer.when is not None and when_matches(layer.when, context)
            )
            if len(self._combos) >= _CACHE_LIMIT:
                self._combos.clear()
            self._combos[context.key] = combo
        table = self._tables.get(combo)
        if table is None:
            table = Table([self.policy.base, *(self._overlays[i] for i in combo)])
            self._tables[combo] = table
        return table

    def evaluate(self, detections: Any, context: Context | None = None) -> Decision:
        context = context or EMPTY_CONTEXT
        table = self.table_for(context)
        labels, segments, text = read_detections(detections)
        trace: list[TraceStep] = []
        matched: list[Match] = []
        best_severity, best_order, best_rule = 0, INF, None
        lookup = table.entries
        live: list[tuple[Entry, float]] = []
        suppress = False
        for item in labels:
            name = item["Name"]
            entry = lookup.get(name)
            if entry is None:
                trace.append(
                    ("label", name, item.get("Confidence"), None, "unknown label, skipped")
                )
                continue
            suppress = suppress or entry[4]
            live.append((entry, item["Confidence"]))
        if suppress:
            live = _explained_away(live, lookup, trace)
        for entry, confidence in live:
            rule = entry[2]
            if rule is None:
                trace.append(("label", entry[0], confidence, None, "no rule"))
                continue
            if rule.ignore:
                trace.append(("label", entry[0], confidence, rule.id, "carved out"))
                continue
            if confidence >= entry[5]:
                severity = 3
            elif confidence >= entry[6]:
                severity = 2
            elif confidence >= entry[7]:
                severity = 1
            else:
                severity = 0
            action = ACTIONS[severity]
            trace.append(("label", entry[0], confidence, rule.id, action))
            if severity:
                stamps = _stamps(segments, entry, severity) if segments else ()
                matched.append(Match(entry[0], confidence, action, rule.id, stamps))
                if severity > best_severity or (
                    severity == best_severity and rule.order < best_order
                ):
                    best_severity, best_order, best_rule = severity, rule.order, rule
        candidates: list[tuple[int, float, Any]] = []
        if table.text and text:
            candidates += _evaluate_text(table, text, trace, matched)
        if table.video and segments:
            candidates += _evaluate_video(table, segments, trace, matched)
        if table.a2i is not None:
            candidates += _evaluate_a2i(table, labels, context, trace, matched)
        for severity, order, rule in candidates:
            if severity > best_severity or (severity == best_severity and order < best_order):
                best_severity, best_order, best_rule = severity, order, rule
        decided: Any = best_rule
        if decided is None:
            decided = table.default
            action = table.default.action
            trace.append(("default", "no rule fired", None, decided.id, action))
        else:
            action = ACTIONS[best_severity]
        return Decision(
            action=action,
            rule=decided.id,
            policy_version=self.version,
            policy_name=self.name,
            matched=tuple(matched),
            trace=tuple(trace),
            review=decided.route if action == "review" else None,
            overlays=table.overlays,
        )


def _explained_away(
    live: list[tuple[Entry, float]], lookup: dict[str, Entry], trace: list[TraceStep]
) -> list[tuple[Entry, float]]:
    """Drop ancestor labels that are only present because of descendants under another rule.

    Rekognition returns an L3 hit with its L2 and L1 ancestors. When the descendants are carved
    out or governed by a more specific rule, the ancestors carry no signal of their own.
    """
    live.sort(key=lambda pair: -pair[0][1])
    below: set[str] = set()
    backed: set[str] = set()
    kept = []
    for entry, confidence in live:
        name, rule = entry[0], entry[2]
        keep = name not in below or name in backed
        for ancestor in entry[3]:
            below.add(ancestor)
            if keep and lookup[ancestor][2] is rule:
                backed.add(ancestor)
        if keep:
            kept.append((entry, confidence))
        else:
            trace.append(
                (
                    "label",
                    name,
                    confidence,
                    rule.id if rule else None,
                    "explained by more specific labels",
                )
            )
    return kept


def read_detections(detections: Any) -> tuple[list[Mapping[str, Any]], list[Any], str]:
    """Labels (peak confidence per label for video), video segments and detected text."""
    text = ""
    if isinstance(detections, Mapping):
        raw = detections.get("ModerationLabels") or []
        if "TextDetections" in detections or "Text" in detections:
            text = _read_text(detections)
    elif isinstance(detections, list):
        raw = detections
    else:
        raw = []
    if raw and "ModerationLabel" in raw[0]:
        return _video_labels(raw), raw, text
    return raw, [], text


def _read_text(detections: Mapping[str, Any]) -> str:
    found = detections.get("Text")
    if isinstance(found, str):
        return found
    if isinstance(found, list):
        return "\n".join(map(str, found))
    items = detections.get("TextDetections") or []
    lines = [i for i in items if i.get("Type") == "LINE"] or items
    return "\n".join(f"{i.get('Confidence', 100)}\t{i.get('DetectedText', '')}" for i in lines)


def _video_labels(segments: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    peaks: dict[str, float] = {}
    for segment in segments:
        label = segment["ModerationLabel"]
        name, confidence = label["Name"], label["Confidence"]
        if confidence > peaks.get(name, -1.0):
            peaks[name] = confidence
    return [{"Name": name, "Confidence": value} for name, value in peaks.items()]


def _segment_span(segment: Mapping[str, Any], point_ms: int) -> tuple[int, int]:
    start = segment.get("StartTimestampMillis", segment.get("Timestamp", 0))
    end = segment.get("EndTimestampMillis")
    if end is None:
        end = start + segment.get("DurationMillis", point_ms)
    return int(start), int(end)


def _stamps(segments: list[Any], entry: Entry, severity: int) -> tuple[int, ...]:
    threshold = entry[8 - severity]
    names = {entry[0]}
    return tuple(
        sorted(
            {
                _segment_span(s, 0)[0]
                for s in segments
                if s["ModerationLabel"]["Name"] in names
                and s["ModerationLabel"]["Confidence"] >= threshold
            }
        )
    )


def _evaluate_text(
    table: Table, text: str, trace: list[TraceStep], matched: list[Match]
) -> list[tuple[int, float, Any]]:
    fired: list[tuple[int, float, Any]] = []
    lines = text.split("\n")
    for rule, patterns in table.text:
        usable = "\n".join(_text_line(line, rule.min_confidence) for line in lines)
        for pattern in patterns:
            hit = pattern.search(usable)
            if hit:
                severity = SEVERITY[rule.action]
                trace.append(("text", hit.group(0), None, rule.id, rule.action))
                matched.append(Match("text", 100.0, rule.action, rule.id, (), hit.group(0)))
                fired.append((severity, rule.order, rule))
                break
        else:
            trace.append(("text", "no match", None, rule.id, "allow"))
    return fired


def _text_line(line: str, min_confidence: float) -> str:
    confidence, tab, content = line.partition("\t")
    if not tab:
        return line
    try:
        return content if float(confidence) >= min_confidence else ""
    except ValueError:
        return line


def _evaluate_video(
    table: Table, segments: list[Any], trace: list[TraceStep], matched: list[Match]
) -> list[tuple[int, float, Any]]:
    fired: list[tuple[int, float, Any]] = []
    for rule, covered in table.video:
        spans = sorted(
            _segment_span(s, rule.point_duration_ms)
            for s in segments
            if s["ModerationLabel"]["Name"] in covered
            and s["ModerationLabel"]["Confidence"] >= rule.min_confidence
        )
        total = _union_length(spans)
        peak = max(
            (
                s["ModerationLabel"]["Confidence"]
                for s in segments
                if s["ModerationLabel"]["Name"] in covered
            ),
            default=0.0,
        )
        if spans and total >= rule.min_duration_ms:
            trace.append(("video", f"{rule.label} for {total} ms", peak, rule.id, rule.action))
            stamps = tuple(start for start, _ in spans)
            matched.append(Match(rule.label, peak, rule.action, rule.id, stamps))
            fired.append((SEVERITY[rule.action], rule.order, rule))
        else:
            trace.append(
                ("video", f"{rule.label} for {total} ms", peak or None, rule.id, "not long enough")
            )
    return fired


def _union_length(spans: Iterable[tuple[int, int]]) -> int:
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


def _evaluate_a2i(
    table: Table,
    labels: list[Mapping[str, Any]],
    context: Context,
    trace: list[TraceStep],
    matched: list[Match],
) -> list[tuple[int, float, Any]]:
    rule = table.a2i
    assert rule is not None
    confidences = {item["Name"]: item["Confidence"] for item in labels}
    draw = 100.0
    if table.a2i_samples:
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
