"""Bank rules: what a policy does with the item's hash-bank matches (``banks:`` in a policy).

A match counts for a bank's rule when it is at the rule's ``max_distance`` or nearer. A rule
with an action other than ``allow`` fires like any other rule (the most severe wins, the first
written breaks a tie). A rule with ``suppress`` makes its bank known-good: a match takes the
labels it names (with their subtrees), or every label, out of the decision. A match in a
negative bank the policy does not name suppresses every label (the bank says it holds
known-good content); a match in another bank the policy does not name changes nothing. Every
match is in the trace, with what it did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from modgate.policy.decision import Match, TraceStep
from modgate.policy.model import ANY_LABEL, SEVERITY, BankRule
from modgate.taxonomy import taxonomy_v7
from modgate.taxonomy.detections import BankMatch, Label, TimelineEntry

BankFired = tuple[int, float, BankRule]


def evaluate_banks(
    rules: Mapping[str, BankRule],
    matches: Sequence[BankMatch],
    trace: list[TraceStep],
    matched: list[Match],
) -> tuple[list[BankFired], frozenset[str]]:
    """The bank rules that fire, and the labels to suppress (``{"*"}``: every label)."""
    fired: list[BankFired] = []
    suppressed: set[str] = set()
    for match in sorted(matches, key=lambda m: (m.bank, m.distance, m.content_id)):
        subject = f"{match.bank} #{match.content_id} ({match.signal_type} d={match.distance})"
        rule = rules.get(match.bank)
        if rule is None:
            if match.negative:
                suppressed.add(ANY_LABEL)
                trace.append(("bank", subject, None, None, "known good: labels suppressed"))
            else:
                trace.append(("bank", subject, None, None, "no rule"))
            continue
        if rule.max_distance is not None and match.distance > rule.max_distance:
            trace.append(("bank", subject, None, rule.id, f"beyond {rule.max_distance}"))
            continue
        if rule.suppress:
            suppressed.update(rule.suppress)
            trace.append(("bank", subject, None, rule.id, "known good: labels suppressed"))
        if rule.action != "allow":
            trace.append(("bank", subject, None, rule.id, rule.action))
            matched.append(
                Match(
                    f"bank {match.bank}",
                    float(match.distance),
                    rule.action,
                    rule.id,
                    bank=match.bank,
                    content_id=match.content_id,
                    distance=match.distance,
                )
            )
            fired.append((SEVERITY[rule.action], rule.order, rule))
    return fired, frozenset(suppressed)


def without_suppressed(
    labels: Sequence[Label],
    entries: Sequence[TimelineEntry],
    suppressed: frozenset[str],
    trace: list[TraceStep],
) -> tuple[Sequence[Label], Sequence[TimelineEntry]]:
    """``labels`` and ``entries`` less those a known-good match suppresses."""
    if ANY_LABEL in suppressed:
        gone = {label.name for label in labels}
    else:
        taxonomy = taxonomy_v7()
        gone = {
            label.name
            for label in labels
            if label.name in taxonomy
            and any(node.name in suppressed for node in taxonomy.lineage(label.name))
        }
    for label in labels:
        if label.name in gone:
            trace.append(("label", label.name, label.confidence, None, "suppressed by a bank"))
    return (
        tuple(label for label in labels if label.name not in gone),
        tuple(entry for entry in entries if entry.label.name not in gone),
    )
