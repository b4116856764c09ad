"""The policy engine: a pure, deterministic ``evaluate(policy, detections, context) -> Decision``.

A policy is compiled once into flat lookup tables: for every taxonomy label, the effective rule
after hierarchy and layer resolution and its three thresholds. The overlays that apply to a
context are worked out once per distinct context and cached, as is the table for each overlay
combination, so evaluating one item is a dict lookup and three comparisons per label. No I/O, no
clock: time comes from the context. Detections come typed (``modgate.taxonomy.detections``):
an image's labels and text, or a timeline's entries. Text, video and A2I rules are evaluated in
``rules.py``. See ``README.md`` for the evaluation order.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from modgate.policy.bank_rules import BankFired, evaluate_banks, without_suppressed
from modgate.policy.conditions import AllOf, AnyOf, Condition, Sampling
from modgate.policy.context import Context
from modgate.policy.decision import Decision, Match, TraceStep
from modgate.policy.model import (
    ACTIONS,
    ANY_LABEL,
    A2IRule,
    BandRule,
    BankRule,
    DefaultRule,
    Layer,
    Policy,
    TextRule,
    VideoRule,
    When,
)
from modgate.policy.regions import region_matches
from modgate.policy.rules import (
    Fired,
    compile_text,
    covered_labels,
    evaluate_a2i,
    evaluate_text,
    evaluate_video,
    stamps,
)
from modgate.taxonomy import taxonomy_v7
from modgate.taxonomy.detections import (
    Detections,
    Label,
    TextDetections,
    TextLine,
    Timeline,
    TimelineEntry,
)

INF = float("inf")
EMPTY_CONTEXT = Context()
_CACHE_LIMIT = 8192
# Compiled policies by ``id`` of their (live) policy: the engine owns compilation, so the parsed
# policy (``model.py``) needs nothing from here. A compiled policy keeps no reference to its
# policy, so a policy nobody uses any more is freed, and its entry with it.
_COMPILED: dict[int, CompiledPolicy] = {}
_COMPILING = threading.Lock()


def evaluate(
    policy: Policy,
    detections: Detections,
    context: Context | Mapping[str, Any] | None = None,
) -> Decision:
    """Decide on one item: an image's detections or a video's (or animation's) timeline."""
    if context is not None and not isinstance(context, Context):
        context = Context.from_dict(context)
    return compiled(policy).evaluate(detections, context)


def compiled(policy: Policy) -> CompiledPolicy:
    """``policy`` compiled into lookup tables, once per policy object (kept while it lives)."""
    key = id(policy)
    found = _COMPILED.get(key)
    if found is None:
        with _COMPILING:
            found = _COMPILED.get(key)
            if found is None:
                found = _COMPILED[key] = CompiledPolicy(policy)
                # Dropped as the policy is freed, before its id can be used again.
                weakref.finalize(policy, _COMPILED.pop, key, None)
    return found


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


class Entry:
    """One label's row of a compiled table: its effective rule, the rule's thresholds (``INF``
    when unset or carved out), its ancestors, and whether some descendant is under another rule
    (so the label may be explained away). A slotted class: the engine reads it per label."""

    __slots__ = (
        "name",
        "level",
        "rule",
        "ancestors",
        "suppressible",
        "block",
        "review",
        "annotate",
    )

    def __init__(
        self,
        name: str,
        level: int,
        rule: BandRule | None,
        ancestors: tuple[str, ...],
        suppressible: bool,
        block: float,
        review: float,
        annotate: float,
    ) -> None:
        self.name = name
        self.level = level
        self.rule = rule
        self.ancestors = ancestors
        self.suppressible = suppressible
        self.block = block
        self.review = review
        self.annotate = annotate

    def threshold(self, severity: int) -> float:
        """The confidence from which the label is at least ``severity`` (1 annotate … 3 block)."""
        return (self.annotate, self.review, self.block)[severity - 1]


class Table:
    """Everything needed to evaluate under one combination of overlays."""

    __slots__ = ("entries", "default", "a2i", "a2i_samples", "text", "video", "overlays", "banks")

    def __init__(self, layers: Sequence[Layer]) -> None:
        taxonomy = taxonomy_v7()
        rules: dict[str, BandRule] = {}
        self.default: DefaultRule = DefaultRule()
        self.a2i: A2IRule | None = None
        text: list[TextRule] = []
        video: list[VideoRule] = []
        self.banks: dict[str, BankRule] = {}
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
            self.banks.update(layer.banks)  # a later layer's rule for a bank replaces the base's
        self.overlays = tuple(layer.id for layer in layers[1:])
        self.a2i_samples = self.a2i is not None and has_sampling(self.a2i.condition)
        self.entries = self._entries(rules)
        self.text = [compile_text(rule) for rule in text]
        self.video = [covered_labels(rule) for rule in video]

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
                block = review = annotate = INF
            else:
                block, review, annotate = (
                    INF if v is None else float(v) for v in (rule.block, rule.review, rule.annotate)
                )
            entries[label.name] = Entry(
                label.name,
                label.level,
                rule,
                tuple(a.name for a in taxonomy.ancestors(label.name)),
                suppressible,
                block,
                review,
                annotate,
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


class CompiledPolicy:
    """A policy turned into lookup tables, with per-context caches."""

    def __init__(self, policy: Policy) -> None:
        self._base = policy.base
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
            table = Table([self._base, *(self._overlays[i] for i in combo)])
            self._tables[combo] = table
        return table

    def evaluate(self, detections: Detections, context: Context | None = None) -> Decision:
        context = context or EMPTY_CONTEXT
        table = self.table_for(context)
        labels: Sequence[Label]
        entries: Sequence[TimelineEntry] = ()
        lines: Sequence[TextLine] = ()
        if isinstance(detections, Timeline):
            labels, entries = detections.peak_labels(), detections.entries
        elif isinstance(detections, TextDetections):
            labels = ()
        else:
            labels = detections.labels
            if table.text and detections.text:
                lines = detections.lines()
        findings = detections.findings if table.text else ()
        trace: list[TraceStep] = []
        matched: list[Match] = []
        banked: list[BankFired] = []
        if detections.bank_matches:
            banked, suppressed = evaluate_banks(
                table.banks, detections.bank_matches, trace, matched
            )
            if suppressed:
                labels, entries = without_suppressed(labels, entries, suppressed, trace)
        best_severity, best_order, best_rule = 0, INF, None
        lookup = table.entries
        live: list[tuple[Entry, float]] = []
        suppress = False
        for label in labels:
            entry = lookup.get(label.name)
            if entry is None:
                trace.append(
                    ("label", label.name, label.confidence, None, "unknown label, skipped")
                )
                continue
            suppress = suppress or entry.suppressible
            live.append((entry, label.confidence))
        if suppress:
            live = _explained_away(live, lookup, trace)
        for entry, confidence in live:
            rule = entry.rule
            if rule is None:
                trace.append(("label", entry.name, confidence, None, "no rule"))
                continue
            if rule.ignore:
                trace.append(("label", entry.name, confidence, rule.id, "carved out"))
                continue
            if confidence >= entry.block:
                severity = 3
            elif confidence >= entry.review:
                severity = 2
            elif confidence >= entry.annotate:
                severity = 1
            else:
                severity = 0
            action = ACTIONS[severity]
            trace.append(("label", entry.name, confidence, rule.id, action))
            if severity:
                found = stamps(entries, entry.name, entry.threshold(severity)) if entries else ()
                matched.append(Match(entry.name, confidence, action, rule.id, found))
                if severity > best_severity or (
                    severity == best_severity and rule.order < best_order
                ):
                    best_severity, best_order, best_rule = severity, rule.order, rule
        candidates: list[Fired | BankFired] = list(banked)
        if lines or findings:
            candidates += evaluate_text(table.text, lines, findings, trace, matched)
        if table.video and entries:
            candidates += evaluate_video(table.video, entries, trace, matched)
        if table.a2i is not None:
            candidates += evaluate_a2i(
                table.a2i, table.a2i_samples, labels, context, trace, matched
            )
        decided: BandRule | TextRule | VideoRule | A2IRule | BankRule | DefaultRule | None = (
            best_rule
        )
        for severity, order, fired in candidates:
            if severity > best_severity or (severity == best_severity and order < best_order):
                best_severity, best_order, decided = severity, order, fired
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
    live.sort(key=lambda pair: -pair[0].level)
    below: set[str] = set()
    backed: set[str] = set()
    kept = []
    for entry, confidence in live:
        name, rule = entry.name, entry.rule
        keep = name not in below or name in backed
        for ancestor in entry.ancestors:
            below.add(ancestor)
            if keep and lookup[ancestor].rule is rule:
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
