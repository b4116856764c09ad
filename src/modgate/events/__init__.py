"""Domain events: small dataclasses with a stable name, recorded in the same transaction as the
state change, delivered (webhooks, metrics) only after commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from modgate.db.base import table_of, utcnow
from modgate.events.tables import EventRow

# Every event name, declared once. Webhook subscribers pick from the public ones.
MODERATION_CREATED = "moderation.created"
MODERATION_COMPLETED = "moderation.completed"
MODERATION_FAILED = "moderation.failed"
REVIEW_CREATED = "review.created"
REVIEW_COMPLETED = "review.completed"
APPEAL_CREATED = "appeal.created"
APPEAL_RESOLVED = "appeal.resolved"
PREVIEW_REVEALED = "preview.revealed"

WEBHOOK_EVENTS = (MODERATION_COMPLETED, REVIEW_COMPLETED, APPEAL_RESOLVED)

_INSERT = insert(table_of(EventRow))


def record_event(
    session: Session,
    name: str,
    moderation_id: str | None = None,
    payload: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Append an event inside the caller's transaction (one plain INSERT, built once)."""
    session.execute(
        _INSERT,
        {
            "name": name,
            "moderation_id": moderation_id,
            "payload": payload or {},
            "actor": actor,
            "created_at": utcnow(),
        },
    )


__all__ = [
    "APPEAL_CREATED",
    "APPEAL_RESOLVED",
    "MODERATION_COMPLETED",
    "MODERATION_CREATED",
    "MODERATION_FAILED",
    "PREVIEW_REVEALED",
    "REVIEW_COMPLETED",
    "REVIEW_CREATED",
    "WEBHOOK_EVENTS",
    "EventRow",
    "record_event",
]
