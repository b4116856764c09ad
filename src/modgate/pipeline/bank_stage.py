"""The bank stage of a job, before detection: the item's matches in its tenant's hash banks.

A tenant without banks costs nothing (no hashing). Otherwise the item is hashed (a picture and
its mirror image by PDQ; a video by MD5 and its PDQ timeline) and looked up, the moderation id
seeding the coin flip so a retried job gets the same answer. The matches join the item's
detections, where the policy's bank rules read them.

A match can decide the item alone: when the policy blocks on it without looking at labels
(``decides_alone``), and it is at ``banks.skip_detection_distance`` or nearer, the detectors
are not run at all.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from modgate.errors import ModgateError
from modgate.media.models import MediaInfo
from modgate.media.store import MediaRecord
from modgate.policy import Context, Policy, evaluate
from modgate.taxonomy.detections import BankMatch, Detections, ImageDetections, Timeline

logger = logging.getLogger(__name__)


class BankLookup(Protocol):
    """What the pipeline needs of the banks (``modgate.banks.BankService`` is one)."""

    def has_banks(self, tenant: str) -> bool: ...

    def match_record(self, record: MediaRecord, seed: str) -> tuple[BankMatch, ...]: ...


class BankStage:
    def __init__(self, banks: BankLookup | None, skip_distance: int = -1) -> None:
        self.banks = banks
        self.skip_distance = skip_distance

    def match(self, record: MediaRecord, moderation_id: str) -> tuple[BankMatch, ...]:
        """The item's matches; none when its tenant has no banks, or when its media cannot be
        hashed (damage detection copes with): the detectors and the policy still decide."""
        if self.banks is None or not self.banks.has_banks(record.tenant):
            return ()
        try:
            return self.banks.match_record(record, moderation_id)
        except ModgateError as exc:
            logger.warning("moderation %s not matched against banks: %s", moderation_id, exc)
            return ()

    def decides_alone(
        self,
        policy: Policy | None,
        matches: tuple[BankMatch, ...],
        context: Context,
        media: MediaInfo,
    ) -> Detections | None:
        """Detections of the matches alone, when they decide a block without the detectors
        (see the module docstring); None when the detectors are to run."""
        close = [m for m in matches if m.distance <= self.skip_distance and not m.negative]
        if policy is None or not close or self.skip_distance < 0:
            return None
        logger.info("matches %s decide a block without the detectors", close)
        alone: Detections = (
            Timeline(bank_matches=tuple(close), model_version="banks")
            if media.kind == "video" or media.animated
            else ImageDetections(bank_matches=tuple(close), model_version="banks")
        )
        decision = evaluate(policy, alone, context)
        if decision.action != "block" or not any(m.bank for m in decision.matched):
            return None
        return replace(alone, bank_matches=matches)
