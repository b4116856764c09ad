"""The policy store in plain dicts: the test double that ships with the code, for unit tests and
one-off tools. It passes the same contract as ``SqlPolicyStore`` (tests/contracts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from modgate.db.base import new_id, utcnow
from modgate.policy.model import Policy
from modgate.policy.store import (
    Activation,
    Clock,
    ShadowRecord,
    StoredPolicy,
    previous_version,
    resolve_version,
)


class InMemoryPolicyStore:
    """The store in plain dicts: for unit tests and one-off tools."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock
        self._versions: dict[str, StoredPolicy] = {}
        self._activations: list[Activation] = []
        self._shadows: dict[tuple[str, str], bool] = {}
        self._records: list[ShadowRecord] = []

    def save(self, policy: Policy, *, author: str, note: str = "") -> StoredPolicy:
        if policy.version not in self._versions:
            self._versions[policy.version] = StoredPolicy(
                policy.version, policy.name, policy.source, author, note, self.clock()
            )
        return self._versions[policy.version]

    def get(self, version: str) -> StoredPolicy:
        return self._versions[resolve_version(self._versions, version)]

    def versions(self) -> list[StoredPolicy]:
        return sorted(self._versions.values(), key=lambda v: v.created_at, reverse=True)

    def activate(self, version: str, surface: str, *, actor: str, note: str = "") -> Activation:
        stored = self.get(version)
        now = self.clock()
        self._activations = [
            replace(a, deactivated_at=now)
            if a.surface == surface and a.deactivated_at is None
            else a
            for a in self._activations
        ]
        activation = Activation(new_id("pac"), surface, stored.version, actor, note, now, None)
        self._activations.append(activation)
        return activation

    def active_for(self, surface: str) -> StoredPolicy | None:
        for activation in self._activations:
            if activation.surface == surface and activation.deactivated_at is None:
                return self._versions[activation.version]
        return None

    def history(self, surface: str) -> list[Activation]:
        found = [a for a in self._activations if a.surface == surface]
        return list(reversed(found))

    def rollback(self, surface: str, *, actor: str, note: str = "") -> Activation:
        return self.activate(
            previous_version(self.history(surface)), surface, actor=actor, note=note or "rollback"
        )

    def start_shadow(self, version: str, surface: str, *, actor: str) -> None:
        self._shadows[(self.get(version).version, surface)] = True

    def stop_shadow(self, version: str, surface: str) -> None:
        self._shadows.pop((self.get(version).version, surface), None)

    def shadows_for(self, surface: str) -> list[StoredPolicy]:
        return [self._versions[v] for (v, s) in self._shadows if s == surface]

    def record_shadow(self, records: Sequence[ShadowRecord]) -> None:
        self._records.extend(records)

    def shadow_records(
        self, surface: str, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[ShadowRecord]:
        return [
            r
            for r in self._records
            if r.surface == surface
            and (since is None or r.created_at >= since)
            and (until is None or r.created_at < until)
        ]
