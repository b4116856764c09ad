"""Decisions made again at view time, for one viewer's context, from stored detections.

A moderation is decided once, at upload, in the uploader's context. What a viewer may see
depends on the viewer: region, age band, local time, surface, state. ``ViewerDecisions`` answers
"may this viewer see these items now?" for one item or a page of up to ``MAX_ITEMS``: the items
and their stored detections are read in two queries (one per store), each surface's policy is
resolved once (``PolicyResolver``: one compiled policy per version, cached per process), parsed
detections are kept per tenant for the next request (``ParsedDetections``), and
each item is evaluated by the same pure ``decide`` the pipeline uses, so the incomplete-media
rule holds here too. Nothing is written: the upload-time decision stays as it was.

How a reviewer's final verdict and the viewer's context combine (``with_verdict``):

* a verdict of ``block`` is final for every viewer;
* a verdict of ``allow`` or ``annotate`` answers for the rule the reviewer ruled on (the
  moderation's upload-time rule): the viewer gets the verdict, unless the viewer's context makes
  another rule block the item (an overlay for young viewers, say), which the reviewer was never
  asked about; then it is blocked by that rule.

The viewer's context gives the region, age band and time of day; the surface and the uploader's
state are the item's own (from its upload) unless the viewer's context names them.

Items still being processed are ``pending``; items that do not exist, or are another tenant's,
are ``not_found`` (a 404 entry in a batch, a 404 alone).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import utcnow
from modgate.detection.store import DetectionStore
from modgate.errors import (
    InvalidContextError,
    ResourceNotFoundException,
    TooManyItemsException,
    UnknownSurfaceException,
)
from modgate.moderation.models import ReplayItem
from modgate.moderation.store import ModerationStore
from modgate.pipeline.decide import Ruling, decide
from modgate.pipeline.inputs import clean_context
from modgate.pipeline.policies import PolicyResolver
from modgate.policy import Context, Policy
from modgate.taxonomy.detections import Detections, TextDetections
from modgate.taxonomy.rekognition_json import bank_match_from_json, moderation_detections

# Items one batch may name: a feed page or several.
MAX_ITEMS = 1000
# What a viewer's context may say; an upload's item_key is never taken from a viewer.
VIEWER_KEYS = ("region", "surface", "audience", "user_state", "local_time", "timezone")
# The rule named when a reviewer's final verdict answers.
VERDICT_RULE = "modgate.reviewer-verdict"
Status = Literal["decided", "pending", "not_found"]
# Parsed stored detections kept per process (``ParsedDetections``): a few feeds' worth.
PARSED_ENTRIES = 20_000
# (tenant, content hash, detector-set version)
ParsedKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class ViewerDecision:
    """One item's answer for one viewer. ``decided``: the action, the rule that decided it, the
    policy version evaluated (None when modgate ruled itself), the reasons, the context it was
    decided in, the overlays that applied and the reviewers' final verdict (if any).
    ``pending``: still being processed. ``not_found``: no such moderation of the caller's."""

    moderation_id: str
    status: Status
    action: str | None = None
    rule: str | None = None
    policy_version: str | None = None
    reasons: tuple[str, ...] = ()
    context: Mapping[str, Any] | None = None
    overlays: tuple[str, ...] = ()
    verdict: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.status == "not_found":
            return {
                "moderation_id": self.moderation_id,
                "status": self.status,
                "error": not_found(self.moderation_id).to_dict()["error"],
            }
        if self.status == "pending":
            return {"moderation_id": self.moderation_id, "status": self.status}
        return {
            "moderation_id": self.moderation_id,
            "status": self.status,
            "action": self.action,
            "rule": self.rule,
            "policy_version": self.policy_version,
            "reasons": list(self.reasons),
            "context": dict(self.context or {}),
            "overlays": list(self.overlays),
            "verdict": self.verdict,
        }


def not_found(moderation_id: str) -> ResourceNotFoundException:
    """The same words as every other read of a missing (or another tenant's) moderation."""
    return ResourceNotFoundException(f"No moderation {moderation_id!r}.")


class ViewerDecisions:
    """Decisions for viewers, from stored detections; reads only."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        policies: PolicyResolver,
        moderations: ModerationStore,
        detections: DetectionStore,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.policies = policies
        self.moderations = moderations
        self.detections = detections
        self.clock = clock
        self.parsed = ParsedDetections()

    def context(self, given: Mapping[str, Any] | None) -> Context:
        """The viewer's context, checked: known keys only, a region code, an age band a viewer
        can be in, a time of day (``HH:MM`` or ISO 8601 with its offset) or a time zone (the
        time is then now, there), and a surface with an active policy."""
        data = clean_context(dict(given or {}))
        unknown = sorted(set(data) - set(VIEWER_KEYS))
        if unknown:
            raise InvalidContextError(
                f"unknown context key {unknown[0]!r}; a viewer's context takes "
                f"{', '.join(VIEWER_KEYS)}"
            )
        context = Context.from_dict(data, now=self.clock())
        if context.surface is not None and not self.policies.is_known(context.surface):
            raise UnknownSurfaceException(
                f"No policy is active for surface {context.surface!r}: name a surface with an "
                "active policy, or leave surface out to judge each item on its own surface."
            )
        return context

    def decide(
        self,
        moderation_id: str,
        context: Mapping[str, Any] | None,
        tenant: str | None,
        policy_version: str | None = None,
    ) -> ViewerDecision:
        """One item for one viewer; a missing (or another tenant's) item is a 404."""
        (found,) = self.decide_many([moderation_id], context, tenant, policy_version)
        if found.status == "not_found":
            raise not_found(moderation_id)
        return found

    def decide_many(
        self,
        moderation_ids: Sequence[str],
        context: Mapping[str, Any] | None,
        tenant: str | None,
        policy_version: str | None = None,
    ) -> list[ViewerDecision]:
        """Each item for one viewer, in the order given (``tenant``'s items only; None: any
        tenant's, for the operator's command line). ``policy_version``: a stored version to
        decide with instead of each surface's active policy."""
        if len(moderation_ids) > MAX_ITEMS:
            raise TooManyItemsException(
                f"{len(moderation_ids)} items named; one request takes at most {MAX_ITEMS}."
            )
        viewer = self.context(context)
        pinned = self.policies.pinned(policy_version) if policy_version else None
        with self.sessions() as session:
            items = self.moderations.replay_items(session, moderation_ids, tenant)
            stored = self._detections_of(session, items.values())
        batch = _Batch(self, viewer, pinned, stored)
        return [
            batch.decide(moderation_id, items.get(moderation_id))
            for moderation_id in moderation_ids
        ]

    def _detections_of(
        self, session: Session, items: Iterable[ReplayItem]
    ) -> dict[ParsedKey, Detections]:
        """The stored detections of ``items`` (those that have some): parsed ones kept from
        earlier requests, the others read in one query."""
        wanted = {_key(item): item for item in items if item.model_version is not None}
        found = self.parsed.get_many(wanted)
        missing = {key: item for key, item in wanted.items() if key not in found}
        if missing:
            read = self.detections.get_many(session, {key[1:] for key in missing})
            for key, item in missing.items():
                found[key] = read.get(key[1:]) or self._labels_of(session, item)
            self.parsed.put_many({key: found[key] for key in missing})
        return found

    def _labels_of(self, session: Session, item: ReplayItem) -> Detections:
        """The labels stored on the moderation, for one whose detections row is not there."""
        record = self.moderations.get(session, item.id)
        assert record is not None  # read in this session a moment ago
        return moderation_detections(
            record.kind, record.labels, record.content_types, record.model_version
        )


def _key(item: ReplayItem) -> ParsedKey:
    return (item.tenant, item.sha256, item.model_version or "")


class ParsedDetections:
    """Stored detections already parsed, kept in this process by (tenant, content hash,
    detector set), the least recently used dropped past ``max_entries``. Stored detections
    never change, and a feed asks for the same items again and again. Kept per tenant, so one
    tenant's answers never come back faster for bytes another tenant had decided."""

    def __init__(self, max_entries: int = PARSED_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[ParsedKey, Detections] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[ParsedKey]) -> dict[ParsedKey, Detections]:
        found = {}
        with self._lock:
            for key in keys:
                detections = self._entries.get(key)
                if detections is not None:
                    self._entries.move_to_end(key)
                    found[key] = detections
        return found

    def put_many(self, parsed: Mapping[ParsedKey, Detections]) -> None:
        with self._lock:
            self._entries.update(parsed)
            for key in parsed:
                self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class _Batch:
    """One request's evaluation: the policy and context of each (surface, uploader's state)
    resolved once. The viewer's region, audience and time of day are the viewer's; the surface
    and the uploader's state, when the viewer's context leaves them out, are the item's own."""

    def __init__(
        self,
        service: ViewerDecisions,
        viewer: Context,
        pinned: Policy | None,
        stored: Mapping[ParsedKey, Detections],
    ) -> None:
        self.service = service
        self.viewer = viewer
        self.pinned = pinned
        self.stored = stored
        self.contexts: dict[tuple[str | None, str | None], tuple[Policy | None, Context]] = {}

    def decide(self, moderation_id: str, item: ReplayItem | None) -> ViewerDecision:
        if item is None:
            return ViewerDecision(moderation_id, "not_found")
        if item.status not in ("completed", "failed"):
            return ViewerDecision(moderation_id, "pending")
        policy, context = self._for_item(
            self.viewer.surface or item.surface,
            self.viewer.user_state or _text(item.context.get("user_state")),
        )
        if item.model_version is None:
            # Never detected (processing failed or was cancelled): modgate's own ruling stands.
            ruling = Ruling(
                item.action or "review",
                item.rule_id or "",
                None,
                ("nothing was detected in this item; the decision stored for it stands",),
            )
        else:
            detections = self.stored[_key(item)]
            if item.bank_matches and not isinstance(detections, TextDetections):
                matches = tuple(bank_match_from_json(match) for match in item.bank_matches)
                detections = dataclasses.replace(detections, bank_matches=matches)
            ruling = decide(
                policy,
                (),
                detections,
                context,
                surface=context.surface,
                moderation_id=item.id,
                clock=self.service.clock,
            )
        action, rule, reasons = with_verdict(ruling, item)
        decision = ruling.decision
        return ViewerDecision(
            moderation_id,
            "decided",
            action,
            rule,
            ruling.policy_version,
            reasons,
            context.to_dict(),
            decision.overlays if decision is not None else (),
            _verdict_of(item),
        )

    def _for_item(
        self, surface: str | None, user_state: str | None
    ) -> tuple[Policy | None, Context]:
        """The policy and context for an item on ``surface`` uploaded by a ``user_state``."""
        found = self.contexts.get((surface, user_state))
        if found is None:
            policy = self.pinned or self.service.policies.for_surface(surface)[0]
            found = self.contexts[surface, user_state] = (
                policy,
                dataclasses.replace(self.viewer, surface=surface, user_state=user_state),
            )
        return found


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _verdict_of(item: ReplayItem) -> str | None:
    return item.final_action if item.verdict is not None else None


def with_verdict(ruling: Ruling, item: ReplayItem) -> tuple[str, str, tuple[str, ...]]:
    """The action, rule and reasons a viewer gets: the viewer-context ruling, combined with
    the reviewers' final verdict when there is one (see the module docstring)."""
    verdict = _verdict_of(item)
    if verdict is None:
        return ruling.action, ruling.rule, ruling.reasons
    if verdict != "block" and ruling.action == "block" and ruling.rule != item.rule_id:
        return (
            "block",
            ruling.rule,
            (
                *ruling.reasons,
                f"the reviewers' verdict ({verdict}) was on rule {item.rule_id}; this viewer is "
                f"blocked by rule {ruling.rule}, which they did not rule on",
            ),
        )
    return verdict, VERDICT_RULE, (f"the reviewers' final verdict: {verdict}",)
