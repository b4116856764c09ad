"""Writing a decision's categories, in the decision's own transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.orm import Session

from modgate.db.base import table_of
from modgate.moderation.models import StoredModeration
from modgate.quality.sampling import CategoryFlag
from modgate.quality.tables import DecisionCategoryRow

_INSERT = insert(table_of(DecisionCategoryRow))


def record_categories(
    session: Session, moderation: StoredModeration, flags: Sequence[CategoryFlag]
) -> None:
    """One ``decision_categories`` row per category of ``flags`` (none when there are none)."""
    if not flags:
        return
    region = (moderation.context or {}).get("region")
    session.execute(
        _INSERT,
        [
            {
                "moderation_id": moderation.id,
                "category": flag.category[:128],
                "tenant": moderation.tenant,
                "surface": moderation.surface,
                "region": str(region)[:16] if region else None,
                "confidence": flag.confidence,
                "flagged": flag.flagged,
                "created_at": moderation.created_at,
            }
            for flag in flags
        ],
    )
