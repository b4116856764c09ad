"""Writing what the metrics count, in the transaction of the change it describes: a decision's
categories, a verdict's facts, a checked decision's categories. The summary then counts
plain columns and never reads JSON."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from modgate.db.base import table_of
from modgate.moderation.models import StoredModeration
from modgate.quality.sampling import CategoryFlag, top_category
from modgate.quality.tables import CheckCategoryRow, DecisionCategoryRow, VerdictFactRow

_INSERT = insert(table_of(DecisionCategoryRow))
_CHECKS = table_of(CheckCategoryRow)
ROUTED = "routed"


def _region(moderation: StoredModeration) -> str | None:
    region = (moderation.context or {}).get("region")
    return str(region)[:16] if region else None


def record_categories(
    session: Session, moderation: StoredModeration, flags: Sequence[CategoryFlag]
) -> None:
    """One ``decision_categories`` row per category of ``flags`` (none when there are none)."""
    if not flags:
        return
    region = _region(moderation)
    session.execute(
        _INSERT,
        [
            {
                "moderation_id": moderation.id,
                "category": flag.category[:128],
                "tenant": moderation.tenant,
                "surface": moderation.surface,
                "region": region,
                "confidence": flag.confidence,
                "flagged": flag.flagged,
                "created_at": moderation.created_at,
            }
            for flag in flags
        ],
    )


def disagrees_with_machine(
    kind: str,
    action: str,
    machine_action: str | None,
    labels: Mapping[str, Any],
    missed: Sequence[str],
) -> bool:
    """Whether a verdict disagrees with the machine: for a blind check of an automatic
    decision, another action (the reviewer names what they see, so naming is no
    disagreement); otherwise a flagged label judged wrong, or a label the machine missed."""
    if kind == "qa":
        return action != machine_action
    return not all(bool(right) for right in labels.values()) or bool(missed)


def signature(action: str, labels: Mapping[str, Any], missed: Iterable[str]) -> str:
    """What a verdict said, as a short hash: two verdicts agree when their signatures match."""
    said = [action, sorted((k, bool(v)) for k, v in labels.items()), sorted(missed)]
    return hashlib.sha256(json.dumps(said).encode()).hexdigest()[:32]


def record_verdict(
    session: Session,
    moderation: StoredModeration,
    *,
    verdict_id: str,
    review_id: str,
    queue: str,
    kind: str,
    action: str,
    labels: Mapping[str, Any],
    missed: Sequence[str],
    claimed_at: dt.datetime | None,
    given_at: dt.datetime,
) -> None:
    """The facts of one verdict (``verdict_facts``)."""
    seconds = max((given_at - claimed_at).total_seconds(), 0.0) if claimed_at else None
    session.add(
        VerdictFactRow(
            verdict_id=verdict_id,
            review_id=review_id,
            moderation_id=moderation.id,
            tenant=moderation.tenant,
            surface=moderation.surface,
            region=_region(moderation),
            queue=queue,
            kind=kind,
            seconds=seconds,
            disagrees=disagrees_with_machine(kind, action, moderation.action, labels, missed),
            signature=signature(action, labels, missed),
            created_at=given_at,
        )
    )


def found_categories(outcome: Mapping[str, Any] | None) -> set[str]:
    """The categories a consolidated outcome says are present (labels judged right, labels
    named as missed)."""
    outcome = outcome or {}
    named = [name for name, right in (outcome.get("labels") or {}).items() if right]
    named += list(outcome.get("missed") or [])
    return {top_category(str(name)) for name in named}


def record_check(
    session: Session,
    moderation: StoredModeration,
    *,
    outcome: Mapping[str, Any] | None,
    flagged: Iterable[str],
    probability: float = 1.0,
    stratum: str = ROUTED,
) -> None:
    """A checked decision's categories (``check_categories``), replacing an earlier check's:
    each category flagged or found, with the weight ``1/probability``."""
    found = found_categories(outcome)
    marked = set(flagged)
    session.execute(delete(_CHECKS).where(_CHECKS.c.moderation_id == moderation.id))
    categories = sorted(found | marked)
    if not categories:
        return
    region = _region(moderation)
    session.execute(
        insert(_CHECKS),
        [
            {
                "moderation_id": moderation.id,
                "category": category[:128],
                "tenant": moderation.tenant,
                "surface": moderation.surface,
                "region": region,
                "weight": 1.0 / probability,
                "stratum": stratum[:160],
                "flagged": category in marked,
                "found": category in found,
                "created_at": moderation.created_at,
            }
            for category in categories
        ],
    )
