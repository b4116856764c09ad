"""The decide stage of a job: a pure function from detections, policies and context to a ruling.

``decide`` evaluates the active policy (and the shadow candidates beside it, whose decisions are
returned for storing once the real one is committed). Media that damage kept partly from view is
never allowed unseen: it goes to review (``INCOMPLETE_RULE``), with the reason recorded. When no
policy decides, modgate rules itself: no active policy, processing failed, processing cancelled
(``no_active_policy``, ``processing_failed``, ``processing_cancelled``); each goes to review at
high priority. No I/O here; the clock is injected.

A ``Ruling`` stays typed until the writer stores it (``to_dict``, the stored decision, unchanged).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from modgate.policy import Context, Decision, Policy, Route, evaluate
from modgate.policy.shadow import evaluate_with_shadow
from modgate.policy.store import ShadowRecord
from modgate.taxonomy.detections import Detections, Timeline

# Where the decisions modgate makes itself go: a person looks soon.
FAILURE_ROUTE = Route("failures", "high", 1)
# The rule named when a video that would be allowed goes to review because damage hid part of it.
INCOMPLETE_RULE = "modgate.incomplete-media"
NO_ACTIVE_POLICY_RULE = "modgate.no-active-policy"
FAILED_RULE = "modgate.processing-failed"
CANCELLED_RULE = "modgate.processing-cancelled"


@dataclass(frozen=True, slots=True)
class Ruling:
    """The decision to record: the action, the rule that decided it, the review route and the
    reasons. ``decision`` is the policy's own decision (None when modgate ruled itself);
    ``shadows`` the shadow candidates' decisions, to be stored once this one is committed."""

    action: str
    rule: str
    route: Route | None
    reasons: tuple[str, ...]
    decision: Decision | None = None
    shadows: tuple[ShadowRecord, ...] = field(default=(), compare=False)

    @property
    def policy_version(self) -> str | None:
        return self.decision.policy_version if self.decision is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The decision as stored on the moderation (and summarised in events)."""
        route = self.route.to_dict() if self.route is not None else None
        if self.decision is None:
            return {
                "action": self.action,
                "rule": self.rule,
                "policy_version": None,
                "reasons": list(self.reasons),
                "matched": [],
                "review": route,
                "trace": [],
            }
        body = self.decision.to_dict()
        body.update(action=self.action, rule=self.rule, reasons=list(self.reasons), review=route)
        return body


def decide(
    policy: Policy | None,
    shadows: Sequence[Policy],
    detections: Detections,
    context: Context,
    *,
    surface: str | None,
    moderation_id: str,
    clock: Callable[[], dt.datetime],
) -> Ruling:
    """The ruling on one item: the active ``policy`` over its ``detections`` in ``context``
    (``shadows`` evaluated beside it), or modgate's own when no policy is active; then the
    incomplete-media override."""
    if policy is None:
        ruling = no_active_policy()
    else:
        recorder = _Recorder()
        if shadows:
            decision = evaluate_with_shadow(
                policy,
                shadows,
                detections,
                context,
                surface=surface or "default",
                recorder=recorder,
                clock=clock,
                moderation_id=moderation_id,
            )
        else:
            decision = evaluate(policy, detections, context)
        ruling = Ruling(
            decision.action,
            decision.rule,
            decision.review,
            tuple(decision.reasons),
            decision,
            tuple(recorder.records),
        )
    if isinstance(detections, Timeline) and detections.unchecked is not None:
        ruling = _incomplete(ruling, detections.unchecked.reason)
    return ruling


def _incomplete(ruling: Ruling, reason: str) -> Ruling:
    """Never allowed unseen: a person looks at what could be read."""
    reasons = (*ruling.reasons, reason)
    if ruling.action != "allow":
        return Ruling(
            ruling.action, ruling.rule, ruling.route, reasons, ruling.decision, ruling.shadows
        )
    return Ruling(
        "review",
        INCOMPLETE_RULE,
        Route("default", FAILURE_ROUTE.priority, FAILURE_ROUTE.reviewers),
        reasons,
        ruling.decision,
        ruling.shadows,
    )


def machine_review(rule: str, reason: str, queue: str = "failures") -> Ruling:
    """A ruling modgate itself makes when no policy decided the item: review, in ``queue``,
    at high priority."""
    route = Route(queue, FAILURE_ROUTE.priority, FAILURE_ROUTE.reviewers)
    return Ruling("review", rule, route, (reason,))


def no_active_policy() -> Ruling:
    return machine_review(NO_ACTIVE_POLICY_RULE, "no policy is active for this surface", "default")


def processing_failed(message: str) -> Ruling:
    return machine_review(FAILED_RULE, f"processing failed: {message}")


def processing_cancelled(message: str) -> Ruling:
    return machine_review(CANCELLED_RULE, message)


class _Recorder:
    """Collects shadow decisions, so they are stored only once the real decision is."""

    def __init__(self) -> None:
        self.records: list[ShadowRecord] = []

    def record_shadow(self, records: Sequence[ShadowRecord]) -> None:
        self.records.extend(records)

    def shadow_records(
        self, surface: str, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[ShadowRecord]:
        return list(self.records)
