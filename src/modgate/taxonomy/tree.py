"""The Rekognition moderation taxonomy as a tree: lookups, ancestors, descendants, typo hints.

The tree is data (``v7.json``), names copied verbatim from Amazon Rekognition's v7 table because
A2I conditions and customer code match them exactly and case-sensitively. Lookups are exact; a
miss raises ``UnknownLabelException`` naming the closest real labels.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from modgate.errors import UnknownLabelException


@dataclass(frozen=True, slots=True)
class TaxonomyLabel:
    """One node of the tree. ``parent`` is ``None`` for a top-level (L1) label."""

    name: str
    level: int
    parent: str | None
    definition: str = ""

    @property
    def parent_name(self) -> str:
        """The parent as Rekognition writes it: ``""`` for an L1 label."""
        return self.parent or ""


class Taxonomy:
    """An immutable label tree with exact-name lookup."""

    def __init__(
        self,
        version: str,
        labels: Iterable[TaxonomyLabel],
        content_types: Iterable[str] = (),
        aliases: dict[str, str] | None = None,
    ) -> None:
        self.version = version
        self.content_types: tuple[str, ...] = tuple(content_types)
        self._labels: dict[str, TaxonomyLabel] = {}
        self._children: dict[str, list[str]] = {}
        for label in labels:
            if label.name in self._labels:
                raise ValueError(f"duplicate label {label.name!r}")
            self._labels[label.name] = label
            self._children.setdefault(label.name, [])
        for label in self._labels.values():
            if label.parent is not None:
                if label.parent not in self._labels:
                    raise ValueError(f"{label.name!r} has unknown parent {label.parent!r}")
                if self._labels[label.parent].level != label.level - 1:
                    raise ValueError(f"{label.name!r} is not one level below its parent")
                self._children[label.parent].append(label.name)
            elif label.level != 1:
                raise ValueError(f"{label.name!r} has no parent but is level {label.level}")
        self._aliases = dict(aliases or {})

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._labels or name in self._aliases)

    def __iter__(self) -> Iterator[TaxonomyLabel]:
        return iter(self._labels.values())

    def __len__(self) -> int:
        return len(self._labels)

    @property
    def aliases(self) -> dict[str, str]:
        """Alternate spellings → canonical names."""
        return dict(self._aliases)

    @property
    def names(self) -> list[str]:
        return list(self._labels)

    def canonical(self, name: str) -> str:
        """The canonical spelling of ``name`` (resolving known alternate spellings)."""
        return self.get(name).name

    def get(self, name: str) -> TaxonomyLabel:
        """The label called exactly ``name``; a miss names the closest labels."""
        label = self._labels.get(name) or self._labels.get(self._aliases.get(name, ""))
        if label is not None:
            return label
        suggestions = self.suggest(name)
        hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        raise UnknownLabelException(
            f"{name!r} is not a label of moderation taxonomy v{self.version}.{hint}",
            label=name,
            suggestions=suggestions,
        )

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Close real label names for a misspelt ``name`` (case-insensitive)."""
        lowered = {candidate.lower(): candidate for candidate in self._labels}
        exact_case = lowered.get(name.lower())
        if exact_case:
            return [exact_case]
        matches = difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.6)
        return [lowered[m] for m in matches]

    def parent(self, name: str) -> TaxonomyLabel | None:
        label = self.get(name)
        return self._labels[label.parent] if label.parent else None

    def ancestors(self, name: str) -> list[TaxonomyLabel]:
        """Parent first, up to the L1 label; empty for an L1 label."""
        chain: list[TaxonomyLabel] = []
        label = self.get(name)
        while label.parent is not None:
            label = self._labels[label.parent]
            chain.append(label)
        return chain

    def lineage(self, name: str) -> list[TaxonomyLabel]:
        """The label itself followed by its ancestors."""
        return [self.get(name), *self.ancestors(name)]

    def top_level(self, name: str) -> TaxonomyLabel:
        return self.lineage(name)[-1]

    def children(self, name: str) -> list[TaxonomyLabel]:
        return [self._labels[child] for child in self._children[self.get(name).name]]

    def descendants(self, name: str) -> list[TaxonomyLabel]:
        """Every label below ``name``, depth first."""
        found: list[TaxonomyLabel] = []
        for child in self.children(name):
            found.append(child)
            found.extend(self.descendants(child.name))
        return found

    def is_within(self, name: str, ancestor: str) -> bool:
        """True when ``name`` is ``ancestor`` or lies below it."""
        target = self.get(ancestor).name
        return any(label.name == target for label in self.lineage(name))

    def by_level(self, level: int) -> list[TaxonomyLabel]:
        return [label for label in self._labels.values() if label.level == level]


def load_taxonomy(resource: str = "v7.json") -> Taxonomy:
    """Read a taxonomy shipped as JSON inside this package."""
    raw = json.loads(resources.files("modgate.taxonomy").joinpath(resource).read_text("utf-8"))
    labels = [
        TaxonomyLabel(item["name"], int(item["level"]), item["parent"], item.get("definition", ""))
        for item in raw["labels"]
    ]
    return Taxonomy(raw["version"], labels, raw.get("content_types", ()), raw.get("aliases"))


@cache
def _base_v7() -> Taxonomy:
    return load_taxonomy("v7.json")


def shipped_taxonomy_v7() -> Taxonomy:
    """The taxonomy v7 as shipped, without any custom label: what a tenant may see of the
    taxonomy whatever other tenants trained (names, parents, did-you-mean suggestions)."""
    return _base_v7()


_current: Taxonomy | None = None
_custom: tuple[tuple[str, str | None], ...] = ()
_custom_lock = threading.Lock()


def taxonomy_v7() -> Taxonomy:
    """The Rekognition moderation taxonomy v7 (loaded once per process), with the custom
    labels this process knows (``register_custom_labels``) below their parents."""
    return _current if _current is not None else _base_v7()


def custom_labels() -> tuple[tuple[str, str | None], ...]:
    """The registered custom labels as ``(name, parent)`` pairs."""
    return _custom


def register_custom_labels(labels: Iterable[tuple[str, str | None]]) -> None:
    """Make ``taxonomy_v7()`` include exactly these custom labels: each ``(name, parent)``
    goes one level below its v7 parent, or is a new top-level label (parent None). A name
    that is already a v7 label or alias, or a parent that is not in v7, is a ``ValueError``."""
    global _current, _custom
    wanted = tuple(sorted(set(labels), key=lambda pair: pair[0]))
    with _custom_lock:
        if wanted == _custom:
            return
        base = _base_v7()
        added = []
        for name, parent in wanted:
            if name in base or name in base.content_types:
                raise ValueError(f"custom label {name!r} is already a label of taxonomy v7")
            level = base.get(parent).level + 1 if parent else 1
            added.append(TaxonomyLabel(name, level, parent, "custom label"))
        _current = (
            Taxonomy(base.version, [*base, *added], base.content_types, base.aliases)
            if added
            else None
        )
        _custom = wanted
