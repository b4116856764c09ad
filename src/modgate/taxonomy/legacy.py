"""Import moderation labels from older Rekognition versions (v3 to v6.1) onto the v7 tree.

Older responses name labels that v7 renamed, split or moved (``Suggestive``, ``Graphic Male
Nudity``, ``Barechested Male`` …). The mapping is data (``legacy.json``) taken from AWS's v7
migration guide. Importing keeps, per v7 label, the highest confidence of the old labels that map
to it, and adds the ancestors of every label, as Rekognition v7 itself does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from modgate.errors import UnknownLabelException
from modgate.taxonomy.tree import Taxonomy, taxonomy_v7


@dataclass(frozen=True, slots=True)
class LegacyMapping:
    v7: tuple[str, ...]
    content_types: tuple[str, ...] = ()


@dataclass(slots=True)
class ImportedLabels:
    """v7 labels in Rekognition's response shape, plus content types the old labels implied."""

    moderation_labels: list[dict[str, Any]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)


@cache
def legacy_mappings() -> dict[str, LegacyMapping]:
    raw = json.loads(resources.files("modgate.taxonomy").joinpath("legacy.json").read_text("utf-8"))
    return {
        key: LegacyMapping(tuple(value["v7"]), tuple(value.get("content_types", ())))
        for key, value in raw["labels"].items()
    }


def map_label(name: str, parent_name: str = "", taxonomy: Taxonomy | None = None) -> LegacyMapping:
    """The v7 labels an older (or current) label becomes.

    The old parent disambiguates names that exist in both versions at different levels
    (v6 ``Explicit Nudity`` was top-level; in v7 it sits under ``Explicit``). A label already in
    v7 with a consistent parent maps to itself; v7's ambiguous ``Gambling``/``Gambling`` L2 row
    folds onto the L1 label.
    """
    tree = taxonomy or taxonomy_v7()
    mapped = legacy_mappings().get(f"{parent_name}/{name}")
    if mapped is not None:
        return mapped
    if name in tree:
        label = tree.get(name)
        if not parent_name or label.parent_name == parent_name:
            return LegacyMapping((label.name,))
    if not parent_name:
        for key, value in legacy_mappings().items():
            if key.split("/", 1)[1] == name:
                return value
    tree.get(name)  # raises UnknownLabelException with suggestions
    raise UnknownLabelException(f"{parent_name}/{name} has no v7 equivalent", label=name)


def import_moderation_labels(
    labels: Iterable[Mapping[str, Any]], taxonomy: Taxonomy | None = None
) -> ImportedLabels:
    """Convert Rekognition ``ModerationLabels`` of any version into v7 labels with ancestors."""
    tree = taxonomy or taxonomy_v7()
    best: dict[str, float] = {}
    content_types: list[str] = []
    for item in labels:
        mapping = map_label(str(item["Name"]), str(item.get("ParentName") or ""), tree)
        confidence = float(item.get("Confidence", 0.0))
        for name in mapping.v7:
            for label in tree.lineage(name):
                best[label.name] = max(best.get(label.name, 0.0), confidence)
        content_types.extend(c for c in mapping.content_types if c not in content_types)
    return ImportedLabels(to_response_labels(best, tree), content_types)


def to_response_labels(
    confidences: Mapping[str, float], taxonomy: Taxonomy | None = None
) -> list[dict[str, Any]]:
    """Rekognition-shaped ``ModerationLabels`` from a name → confidence map, tree order."""
    tree = taxonomy or taxonomy_v7()
    order = {name: index for index, name in enumerate(tree.names)}
    out = []
    for name in sorted(confidences, key=lambda n: (-confidences[n], order[tree.canonical(n)])):
        label = tree.get(name)
        out.append(
            {
                "Confidence": round(float(confidences[name]), 4),
                "Name": label.name,
                "ParentName": label.parent_name,
                "TaxonomyLevel": label.level,
            }
        )
    return out
