"""Looking signals up in a tenant's banks: PDQ by distance, video MD5 exactly, a video's PDQ
timeline by the share of frames that match both ways (as vPDQ compares videos).

A lookup takes part in a bank with probability ``matching_enabled_ratio`` (HMA's coin flip: one
draw per lookup, from ``seed`` when given, so the same item always gets the same answer);
``bypass_coinflip`` looks in every bank. A PDQ hash of quality under 50 is never looked up.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from modgate.banks.index import BankEntries, BankIndex, codes_of
from modgate.banks.signals import Signal
from modgate.taxonomy.detections import BankMatch

DEFAULT_VIDEO_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class LookupOptions:
    bypass_coinflip: bool = False
    seed: str | None = None
    # vPDQ: the share of the item's frames, and of the banked video's, that must match.
    video_share: float = DEFAULT_VIDEO_SHARE


class Matcher:
    def __init__(self, index: BankIndex) -> None:
        self.index = index

    def lookup(
        self, tenant: str, signals: Sequence[Signal], options: LookupOptions = LookupOptions()
    ) -> dict[str, list[BankMatch]]:
        """Every bank of ``tenant`` the signals match, by name, each bank's matches nearest
        first (banks the coin flip left out are not looked in)."""
        usable = [s for s in signals if s.matchable]
        if not usable:
            return {}
        coin = random.Random(options.seed).random() if options.seed is not None else random.random()
        found: dict[str, list[BankMatch]] = {}
        for bank in self.index.banks_of(tenant):
            if not options.bypass_coinflip and bank.state.matching_enabled_ratio < coin:
                continue
            matches = _in_bank(bank, usable, options.video_share)
            if matches:
                found[bank.state.name] = sorted(matches, key=lambda m: (m.distance, m.content_id))
        return found


def _in_bank(bank: BankEntries, signals: Sequence[Signal], video_share: float) -> list[BankMatch]:
    best: dict[tuple[int, str], BankMatch] = {}
    state = bank.state

    def keep(match: BankMatch) -> None:
        key = (match.content_id, match.signal_type)
        held = best.get(key)
        if held is None or match.distance < held.distance:
            best[key] = match

    pictures = [s.value for s in signals if s.type == "pdq"]
    for hits in bank.pdq.search(codes_of(pictures), state.max_distance):
        for _position, content_id, distance in hits:
            if bank.answers(content_id):
                keep(BankMatch(state.name, content_id, distance, "pdq", state.negative))
    for signal in signals:
        if signal.type == "video_md5":
            for content_id in bank.md5.get(signal.value, ()):
                if bank.answers(content_id):
                    keep(BankMatch(state.name, content_id, 0, "video_md5", state.negative))
    frames = list(dict.fromkeys(s.value for s in signals if s.type == "vpdq"))
    if frames and len(bank.vpdq):
        for match in _videos(bank, frames, video_share):
            keep(match)
    return list(best.values())


def _videos(bank: BankEntries, frames: list[str], share: float) -> list[BankMatch]:
    """vPDQ's comparison: a banked video matches when at least ``share`` of the item's frames
    are near one of its frames and at least ``share`` of its frames are near one of the item's."""
    query_hits: dict[int, int] = {}
    banked_hits: dict[int, set[int]] = {}
    nearest: dict[int, int] = {}
    for hits in bank.vpdq.search(codes_of(frames), bank.state.max_distance):
        seen: set[int] = set()
        for position, content_id, distance in hits:
            if not bank.answers(content_id):
                continue
            banked_hits.setdefault(content_id, set()).add(position)
            nearest[content_id] = min(distance, nearest.get(content_id, distance))
            if content_id not in seen:
                seen.add(content_id)
                query_hits[content_id] = query_hits.get(content_id, 0) + 1
    found = []
    for content_id, matched in query_hits.items():
        query_share = matched / len(frames)
        banked_share = len(banked_hits[content_id]) / max(1, bank.frames.get(content_id, 1))
        if query_share >= share and banked_share >= share:
            found.append(
                BankMatch(
                    bank.state.name,
                    content_id,
                    nearest[content_id],
                    "vpdq",
                    bank.state.negative,
                    round(query_share, 4),
                )
            )
    return found
