"""Recording events: one plain INSERT into the event log, inside the caller's transaction.

The row is committed with the state change it describes or not at all, so the log never
disagrees with the state; webhooks and metrics read it only after the commit.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from modgate.db.base import table_of, utcnow
from modgate.events.models import Event
from modgate.events.tables import EventRow

_INSERT = insert(table_of(EventRow))  # built once: building costs more than running


def record(session: Session, event: Event) -> None:
    """Append ``event`` to the log inside the caller's transaction."""
    session.execute(
        _INSERT,
        {
            "name": event.name,
            "moderation_id": event.moderation_id,
            "payload": event.payload(),
            "actor": event.actor,
            "created_at": utcnow(),
        },
    )
