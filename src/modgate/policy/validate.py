"""Semantic checks the JSON Schema cannot express, each tied to a position in the file.

Errors (the policy is refused): unknown labels (with a did-you-mean), bands in the wrong order or
of zero width, review routing on a rule that never reviews, duplicate rule ids, bad regions, age
bands or time windows, text patterns that RE2 cannot run (backreferences, lookaround; see
patterns.py). Warnings (reported, not fatal): rules that can never fire because an enclosing
carve-out hides them, rules identical to the one they override.
"""

from __future__ import annotations

import difflib
from typing import Any

from modgate.errors import UnknownLabelException
from modgate.policy import regions as region_codes
from modgate.policy.model import ANY_LABEL, BandRule, Layer, When
from modgate.policy.patterns import PatternError, compile_text_pattern
from modgate.policy.source import Path, SourceDocument
from modgate.taxonomy import custom_labels, taxonomy_v7
from modgate.taxonomy.detections import TOXICITY_LABELS

BANDS = ("block", "review", "annotate")


def parse_minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_age_band(text: str) -> tuple[int, int]:
    """``13-17`` → (13, 17); ``18+`` → (18, 200); ``15`` → (15, 15)."""
    text = text.strip()
    if text.endswith("+"):
        return int(text[:-1]), 200
    if "-" in text:
        low, high = text.split("-", 1)
        return int(low), int(high)
    return int(text), int(text)


class SemanticChecker:
    def __init__(self, doc: SourceDocument) -> None:
        self.doc = doc
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.groups: dict[str, tuple[str, ...]] = dict(region_codes.BUILTIN_GROUPS)
        self._rule_ids: dict[str, Path] = {}
        self._band_paths: dict[int, Path] = {}

    def problem(self, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, key=key))

    def warn(self, path: Path, message: str, *, key: bool = False) -> None:
        self.warnings.append(self.doc.problem(path, f"warning: {message}", key=key))

    def label(self, path: Path, name: str) -> str | None:
        """The canonical label for ``name`` (``*`` allowed in categories), else a problem."""
        if name == ANY_LABEL and path[-2:-1] == ("categories",):
            return ANY_LABEL
        try:
            return taxonomy_v7().get(name).name
        except UnknownLabelException as exc:
            self.problem(path, exc.message, key=path[-2:-1] == ("categories",))
            return None

    def text_label(self, path: Path, name: str) -> None:
        """A text rule's label: one of Comprehend's toxicity labels, or a custom label."""
        known = [*TOXICITY_LABELS, *(label for label, _parent in custom_labels())]
        if name in known:
            return
        close = difflib.get_close_matches(name, known, n=2, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(s) for s in close)}?" if close else ""
        self.problem(
            path,
            f"{name!r} is not a toxicity label ({', '.join(TOXICITY_LABELS)}) or a custom "
            f"label.{hint}",
            key=True,
        )

    def a2i_label(self, path: Path, name: str) -> None:
        # A2I matches names exactly and case-sensitively: an alias or a typo would never match.
        taxonomy = taxonomy_v7()
        if name in taxonomy.names:
            return
        suggestions = taxonomy.suggest(name)
        hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        self.problem(
            path,
            f"A2I ModerationLabelName {name!r} is not a v7 label, so it would never match.{hint}",
        )

    def rule_id(self, path: Path, rule_id: str) -> None:
        if rule_id in self._rule_ids:
            first = self.doc.where(self._rule_ids[rule_id])
            self.problem(path, f"rule id {rule_id!r} is already used at {first}")
        else:
            self._rule_ids[rule_id] = path

    def band(self, path: Path, rule: BandRule, raw: dict[str, Any]) -> None:
        self.rule_id(path, rule.id)
        self._band_paths[id(rule)] = path
        given = [(name, raw[name]) for name in BANDS if name in raw]
        if rule.ignore:
            if given:
                self.problem(path, "a carve-out ('ignore') cannot also have bands", key=True)
            return
        if not given:
            self.problem(
                path, "give at least one of block, review, annotate (or 'ignore')", key=True
            )
            return
        for (upper, high), (lower, low) in zip(given, given[1:], strict=False):
            if high == low:
                self.problem(
                    (*path, lower),
                    f"overlapping bands: {lower} starts at {low} like {upper}, so the {lower} "
                    f"band is empty and can never be reached",
                )
            elif high < low:
                self.problem(
                    (*path, upper),
                    f"unreachable band: {upper} at {high} is below {lower} at {low}; confidence "
                    f"at or above {low} already gets {lower}, so order them "
                    f"block > review > annotate",
                )
        routing = [name for name in ("queue", "priority", "reviewers") if name in raw]
        if routing and "review" not in raw:
            self.problem(
                (*path, routing[0]),
                f"{routing[0]!r} is set but this rule never sends anything to review",
            )

    def pattern(self, path: Path, pattern: str, rule_id: str) -> None:
        """A text rule's pattern must compile for RE2, the engine that runs it (patterns.py)."""
        try:
            compile_text_pattern(pattern)
        except PatternError as exc:
            self.problem(path, f"invalid regular expression in text rule {rule_id!r}: {exc}")

    def region(self, path: Path, code: str) -> None:
        message = region_codes.check_code(code, self.groups)
        if message:
            self.problem(path, message)

    def when(self, path: Path, raw: dict[str, Any]) -> When:
        regions = None
        if "region" in raw:
            for index, code in enumerate(raw["region"]):
                self.region((*path, "region", index), code)
            regions = region_codes.expand(raw["region"], self.groups)
        audiences = None
        if "audience" in raw:
            audiences = tuple(parse_age_band(band) for band in raw["audience"])
            for index, (low, high) in enumerate(audiences):
                if low > high:
                    self.problem((*path, "audience", index), f"age band {low}-{high} is empty")
        windows = None
        if "time" in raw:
            windows = tuple((parse_minutes(w["from"]), parse_minutes(w["to"])) for w in raw["time"])
            for index, (start, end) in enumerate(windows):
                if start == end:
                    self.problem(
                        (*path, "time", index),
                        "time window starts and ends at the same minute; it is empty",
                    )
        return When(
            regions=regions,
            surfaces=frozenset(raw["surface"]) if "surface" in raw else None,
            audiences=audiences,
            user_states=frozenset(raw["user_state"]) if "user_state" in raw else None,
            windows=windows,
        )

    def finish(self, base: Layer, overlays: list[Layer]) -> None:
        for layer in (base, *overlays):
            self._unreachable_within(layer.categories)

    def _unreachable_within(self, categories: dict[str, BandRule]) -> None:
        taxonomy = taxonomy_v7()
        for name, rule in categories.items():
            if name == ANY_LABEL:
                continue
            for ancestor in taxonomy.ancestors(name):
                outer = categories.get(ancestor.name)
                if outer is None:
                    continue
                path = self._band_paths.get(id(rule), ())
                if outer.ignore and rule.ignore:
                    self.warn(
                        path, f"{name!r} is already carved out by {ancestor.name!r}", key=True
                    )
                elif (outer.block, outer.review, outer.annotate, outer.ignore) == (
                    rule.block,
                    rule.review,
                    rule.annotate,
                    rule.ignore,
                ) and outer.route == rule.route:
                    self.warn(
                        path, f"same bands as {ancestor.name!r}, which already covers it", key=True
                    )
                break
