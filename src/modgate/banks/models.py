"""Typed values of the banks domain: a bank's settings, a content with its signals, a lookup hit.

HMA's JSON (``bank_content_id``, ``matching_enabled_ratio``) is produced from these only at the
edge (``modgate.banks.hma``); modgate's own API uses ``to_public``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Final

from modgate.banks.signals import MAX_DISTANCE, Signal
from modgate.errors import InvalidBankNameException, InvalidParameterException
from modgate.taxonomy.detections import BankMatch

BANK_NAME: Final = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
DEFAULT_MAX_DISTANCE: Final = 31
SOURCES: Final = ("upload", "media", "moderation", "signal", "import", "review")


def checked_bank_name(name: str) -> str:
    """``name`` when it is a valid bank name, else ``InvalidBankNameException`` (400)."""
    if not BANK_NAME.fullmatch(name):
        raise InvalidBankNameException(
            f"Bank name {name[:80]!r} is not valid: use 1 to 64 upper-case letters, digits and "
            "underscores, starting with a letter (TERROR_KNOWN)."
        )
    return name


def checked_ratio(ratio: float) -> float:
    if not 0.0 <= ratio <= 1.0:
        raise InvalidParameterException("matching_enabled_ratio must be between 0 and 1.")
    return float(ratio)


def checked_distance(distance: int) -> int:
    if not 0 <= distance <= MAX_DISTANCE:
        raise InvalidParameterException(f"max_distance must be between 0 and {MAX_DISTANCE}.")
    return int(distance)


@dataclass(frozen=True, slots=True)
class Bank:
    """A tenant's bank. ``matching_enabled_ratio``: the share of lookups it takes part in (HMA's
    coin flip, for trying a bank out on part of the traffic); ``max_distance``: the largest PDQ
    distance it matches at; ``negative``: it holds known-good content, whose matches suppress
    labels instead of flagging."""

    id: str
    tenant: str
    name: str
    matching_enabled_ratio: float = 1.0
    max_distance: int = DEFAULT_MAX_DISTANCE
    negative: bool = False
    description: str = ""
    revision: int = 1
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    content_count: int | None = None

    def to_public(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "matching_enabled_ratio": self.matching_enabled_ratio,
            "max_distance": self.max_distance,
            "negative": self.negative,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }
        if self.content_count is not None:
            found["content_count"] = self.content_count
        return found


@dataclass(frozen=True, slots=True)
class NewContent:
    """Content about to be added to a bank: its signals and where it came from."""

    signals: tuple[Signal, ...]
    source: str
    note: str = ""
    enabled: bool = True
    media_id: str | None = None
    moderation_id: str | None = None


@dataclass(frozen=True, slots=True)
class BankContent:
    """One piece of banked content: its integer id (HMA's ``bank_content_id``), its bank, its
    signals, whether it is matched, and a note."""

    id: int
    bank: str
    enabled: bool
    note: str
    source: str
    signals: tuple[Signal, ...] = ()
    media_id: str | None = None
    moderation_id: str | None = None
    added_by: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "bank": self.bank,
            "enabled": self.enabled,
            "note": self.note,
            "source": self.source,
            "media_id": self.media_id,
            "moderation_id": self.moderation_id,
            "added_by": self.added_by,
            "signals": [signal_public(s) for s in self.signals],
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


def signal_public(signal: Signal) -> dict[str, Any]:
    found: dict[str, Any] = {"signal_type": signal.type, "signal": signal.value}
    if signal.quality is not None:
        found["quality"] = signal.quality
    if signal.timestamp_ms is not None:
        found["timestamp_ms"] = signal.timestamp_ms
    return found


@dataclass(frozen=True, slots=True)
class Lookup:
    """What one lookup found, by bank name, nearest first; and the signals looked up."""

    hits: dict[str, list[BankMatch]] = field(default_factory=dict)
    signals: tuple[Signal, ...] = ()
