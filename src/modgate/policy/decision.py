"""What the engine returns: the action, the rule that fired, the policy version and a trace.

The trace is a tuple of plain tuples built during evaluation (cheap); ``to_dict`` and ``reasons``
turn it into readable form only when someone asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from modgate.policy.model import Route


class Match(NamedTuple):
    """One label, text, segment run or hash-bank match that drove the decision (a bank match:
    ``bank``, the banked ``content_id`` and the ``distance``; ``confidence`` is the distance)."""

    label: str
    confidence: float
    action: str
    rule: str
    timestamps: tuple[int, ...] = ()
    text: str | None = None
    bank: str | None = None
    content_id: int | None = None
    distance: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "confidence": self.confidence,
            "action": self.action,
            "rule": self.rule,
        }
        if self.timestamps:
            out["timestamps"] = list(self.timestamps)
        if self.text is not None:
            out["text"] = self.text
        if self.bank is not None:
            out.update(bank=self.bank, content_id=self.content_id, distance=self.distance)
        return out


# A trace step: (kind, subject, confidence or None, rule id or None, outcome).
TraceStep = tuple[str, str, float | None, str | None, str]


@dataclass(slots=True)
class Decision:
    """The outcome of ``evaluate``. ``rule`` is the id of the rule that decided ``action``."""

    action: str
    rule: str
    policy_version: str
    policy_name: str
    matched: tuple[Match, ...]
    trace: tuple[TraceStep, ...]
    review: Route | None
    overlays: tuple[str, ...]

    @property
    def matched_labels(self) -> list[str]:
        return [match.label for match in self.matched]

    @property
    def reasons(self) -> list[str]:
        out = []
        for match in self.matched:
            if match.bank is not None:
                out.append(
                    f"bank {match.bank} content {match.content_id} at distance {match.distance}"
                    f" → {match.action} by rule {match.rule}"
                )
                continue
            subject = f"text {match.text!r}" if match.text is not None else match.label
            confidence = f" at {match.confidence:g}" if match.confidence is not None else ""
            out.append(f"{subject}{confidence} → {match.action} by rule {match.rule}")
        if not out:
            out.append(f"no rule fired → {self.action} by rule {self.rule}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "rule": self.rule,
            "policy": self.policy_name,
            "policy_version": self.policy_version,
            "overlays": list(self.overlays),
            "matched": [match.to_dict() for match in self.matched],
            "reasons": self.reasons,
            "review": self.review.to_dict() if self.review else None,
            "trace": [
                {
                    "step": kind,
                    "subject": subject,
                    "confidence": confidence,
                    "rule": rule,
                    "outcome": outcome,
                }
                for kind, subject, confidence, rule, outcome in self.trace
            ],
        }

    def explain(self) -> str:
        """The trace as text, one step a line (``modgate policy explain``)."""
        lines = [
            f"policy {self.policy_name} @ {self.policy_version[:12]}"
            + (f"  overlays: {', '.join(self.overlays)}" if self.overlays else "  overlays: none")
        ]
        for kind, subject, confidence, rule, outcome in self.trace:
            conf = f"{confidence:6.2f}" if confidence is not None else "      "
            lines.append(f"  {kind:<7} {subject:<45} {conf}  {rule or '-':<32} {outcome}")
        route = ""
        if self.review:
            route = (
                f"  queue={self.review.queue} priority={self.review.priority}"
                f" reviewers={self.review.reviewers}"
            )
        lines.append(f"→ {self.action.upper()} by rule {self.rule}{route}")
        return "\n".join(lines)
