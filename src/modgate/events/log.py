"""Recording events: one plain INSERT into the event log, inside the caller's transaction.

The row is committed with the state change it describes or not at all, so the log never
disagrees with the state; webhooks and metrics read it only after the commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from modgate.db.base import table_of, utcnow
from modgate.events.models import Event
from modgate.events.tables import EventRow

_INSERT = insert(table_of(EventRow))  # built once: building costs more than running


def record(session: Session, event: Event) -> None:
    """Append ``event`` to the log inside the caller's transaction."""
    _append(session, event.name, event.moderation_id, event.payload(), event.actor)


def record_event(
    session: Session,
    name: str,
    moderation_id: str | None = None,
    payload: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Append an event given by name and payload. Kept while callers move to ``record`` with
    a typed event from ``modgate.events.models``; both write the same row."""
    _append(session, name, moderation_id, payload or {}, actor)


def _append(
    session: Session,
    name: str,
    moderation_id: str | None,
    payload: dict[str, Any],
    actor: str | None,
) -> None:
    session.execute(
        _INSERT,
        {
            "name": name,
            "moderation_id": moderation_id,
            "payload": payload,
            "actor": actor,
            "created_at": utcnow(),
        },
    )
