"""Shadow mode: candidate policies evaluated beside the active one, stored, never enforced.

``evaluate_with_shadow`` is what the pipeline calls: it returns the active policy's decision (the
one to enforce) and records every candidate's decision through the store. ``shadow_report``
summarises a time window: agreement, action shares for both, and the transitions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from modgate.policy.context import Context
from modgate.policy.decision import Decision
from modgate.policy.engine import evaluate
from modgate.policy.model import Policy
from modgate.policy.store import ShadowRecord
from modgate.taxonomy.detections import Detections


class ShadowRecorder(Protocol):
    def record_shadow(self, records: Sequence[ShadowRecord]) -> None: ...
    def shadow_records(
        self, surface: str, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[ShadowRecord]: ...


def evaluate_with_shadow(
    active: Policy,
    candidates: Sequence[Policy],
    detections: Detections,
    context: Context,
    *,
    surface: str,
    recorder: ShadowRecorder,
    clock: Callable[[], dt.datetime],
    moderation_id: str | None = None,
) -> Decision:
    """The active decision; each candidate's decision is recorded beside it."""
    decision = evaluate(active, detections, context)
    now = clock()
    records = []
    for candidate in candidates:
        shadow = evaluate(candidate, detections, context)
        records.append(
            ShadowRecord(
                surface=surface,
                candidate_version=candidate.version,
                candidate_action=shadow.action,
                candidate_rule=shadow.rule,
                active_version=active.version,
                active_action=decision.action,
                active_rule=decision.rule,
                decision=shadow.to_dict(),
                created_at=now,
                moderation_id=moderation_id,
            )
        )
    recorder.record_shadow(records)
    return decision


@dataclass
class ShadowReport:
    surface: str
    candidate_version: str | None
    total: int = 0
    agreed: int = 0
    active_actions: Counter[str] = field(default_factory=Counter)
    candidate_actions: Counter[str] = field(default_factory=Counter)
    changes: Counter[tuple[str, str]] = field(default_factory=Counter)
    sample: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "surface": self.surface,
            "candidate_version": self.candidate_version,
            "total": self.total,
            "agreed": self.agreed,
            "agreement": self.agreed / self.total if self.total else None,
            "active": dict(self.active_actions),
            "candidate": dict(self.candidate_actions),
            "changes": [
                {"from": a, "to": b, "count": n} for (a, b), n in sorted(self.changes.items())
            ],
            "sample": self.sample,
        }


def shadow_report(
    recorder: ShadowRecorder,
    surface: str,
    *,
    candidate_version: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    sample_size: int = 20,
) -> ShadowReport:
    report = ShadowReport(surface, candidate_version)
    for record in recorder.shadow_records(surface, since, until):
        if candidate_version and not record.candidate_version.startswith(candidate_version):
            continue
        report.total += 1
        active = record.active_action or "allow"
        report.active_actions[active] += 1
        report.candidate_actions[record.candidate_action] += 1
        if active == record.candidate_action:
            report.agreed += 1
        else:
            report.changes[(active, record.candidate_action)] += 1
            if len(report.sample) < sample_size:
                report.sample.append(
                    {
                        "moderation_id": record.moderation_id,
                        "from": active,
                        "to": record.candidate_action,
                        "candidate_rule": record.candidate_rule,
                    }
                )
    return report
