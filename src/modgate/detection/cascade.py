"""The cascade: local models first, remote detectors only for the items that need them.

Each surface has a ``CascadeRule`` (``MODGATE_DETECTION__CASCADE``; ``*`` for the others). Every
item (an image, or a sampled frame of a video) is detected by the local detectors; it then also
goes to the remote detectors when its rule says ``always``, or says ``uncertain`` and either

* one of its local labels has a confidence inside the rule's ``band`` (the local models are
  unsure), or
* the surface needs a label (``labels``) that no local detector covers, itself or through a
  child (``docs/coverage.md``): the local models cannot say anything about it.

The local and remote evidence of an item sent remote are fused together. How many items were
looked at and how many were sent remote is counted per surface (``RemoteUsage``).

Stored detections name the detectors that may have answered and the rule
(``model_version``), so detections made under one rule are never reused under another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from modgate.detection.base import Detector
from modgate.detection.remote.base import RemoteDetector
from modgate.detection.result import DetectionResult
from modgate.detection.settings import CascadeRule
from modgate.errors import SettingsError
from modgate.taxonomy import taxonomy_v7

DEFAULT_SURFACE = "*"
ALWAYS = CascadeRule(remote="always")


def covered_labels(detectors: Sequence[Detector]) -> frozenset[str]:
    """Labels the detectors give evidence for, with their ancestors (raised by fusion)."""
    tree = taxonomy_v7()
    covered: set[str] = set()
    for detector in detectors:
        for label in detector.labels:
            covered.update(node.name for node in tree.lineage(label))
    return frozenset(covered)


@dataclass(frozen=True)
class SurfacePlan:
    """What one surface's rule means with the detectors this process runs."""

    surface: str | None
    rule: CascadeRule
    remote: tuple[RemoteDetector, ...]
    uncovered: frozenset[str]
    suffix: str

    @property
    def sends_every_item(self) -> bool:
        """Does every item go remote, whatever the local models find?"""
        if not self.remote or self.rule.remote == "never":
            return False
        return self.rule.remote == "always" or bool(self.uncovered)

    def sends(self, local: DetectionResult | None) -> bool:
        """Does an item with this local result (None: no local detector) go remote?"""
        if not self.remote or self.rule.remote == "never":
            return False
        if self.rule.remote == "always" or local is None or self.uncovered:
            return True
        low, high = self.rule.band
        return any(low <= label.confidence < high for label in local.labels)


class Cascade:
    """The rules of every surface, checked against the loaded detectors at start."""

    def __init__(
        self,
        rules: dict[str, CascadeRule],
        local: Sequence[Detector],
        remote: Sequence[RemoteDetector],
    ) -> None:
        self.rules = dict(rules)
        self.local = list(local)
        self.remote = list(remote)
        self.covered = covered_labels(local)
        names = {detector.name for detector in remote}
        tree = taxonomy_v7()
        for surface, rule in self.rules.items():
            where = f"MODGATE_DETECTION__CASCADE[{surface!r}]"
            for label in rule.labels:
                if label not in tree:
                    raise SettingsError(
                        f"{where}: {label!r} is not a v7 label; did you mean "
                        f"{', '.join(tree.suggest(label)) or 'nothing close'}?"
                    )
            unknown = set(rule.backends or ()) - names
            if unknown:
                raise SettingsError(
                    f"{where}: backends {sorted(unknown)} are not enabled remote detectors "
                    f"(enabled: {sorted(names) or 'none'})"
                )
        self._plans: dict[str | None, SurfacePlan] = {}

    def plan(self, surface: str | None) -> SurfacePlan:
        """The plan of ``surface`` (its own rule, else ``*``'s, else send every item)."""
        plan = self._plans.get(surface)
        if plan is None:
            own = surface is not None and surface in self.rules
            rule = (
                self.rules[surface] if own and surface else self.rules.get(DEFAULT_SURFACE, ALWAYS)
            )
            chosen = tuple(
                detector
                for detector in self.remote
                if rule.backends is None or detector.name in rule.backends
            )
            tree = taxonomy_v7()
            uncovered = frozenset(tree.canonical(label) for label in rule.labels) - self.covered
            suffix = ""
            if rule != ALWAYS and self.remote:
                digest = hashlib.sha256(
                    json.dumps(rule.model_dump(mode="json"), sort_keys=True).encode()
                ).hexdigest()[:8]
                suffix = f"+cascade:{digest}"
            plan = SurfacePlan(surface, rule, chosen, uncovered, suffix)
            self._plans[surface] = plan
        return plan
