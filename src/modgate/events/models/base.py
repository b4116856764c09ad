"""What every event shares: ``Event``, the base of every kind (its ``name``, the moderation it is
about, its ``actor``, its payload and audit entry), and the decision facts an auditor reads of
the events about a decision."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class Event(ABC):
    """Something that happened to one moderation. ``actor`` is who made it happen, as the audit
    log names actors (``modgate.audit``: ``key:<id>``, ``user:<id>``, ``cli:<user>@<host>``,
    ``anonymous``); None for modgate itself."""

    name: ClassVar[str]
    moderation_id: str
    actor: str | None = None

    @abstractmethod
    def payload(self) -> dict[str, Any]:
        """The JSON stored with the event."""

    def audit_object(self) -> str:
        """What the audit entry is about: ``moderation:<id>``."""
        return f"moderation:{self.moderation_id}"

    def audit_detail(self) -> dict[str, Any]:
        """The facts of the payload an auditor sees (never personal data)."""
        return {}

    def own_tenant(self) -> str | None:
        """The tenant, for an event about no moderation that knows it (a stream's)."""
        return None


def decision_facts(moderation: Mapping[str, Any]) -> dict[str, Any]:
    """What an auditor reads of a moderation summary: the decision and the policy behind it."""
    keys = ("status", "action", "final_action", "rule", "policy_version", "surface")
    return {key: moderation.get(key) for key in keys}
