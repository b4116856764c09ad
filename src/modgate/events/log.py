"""Recording events: one plain INSERT into the event log and one audit entry, inside the
caller's transaction (the entry appended as it commits, with the transaction's other entries:
``modgate.audit.at_commit``).

Both are committed with the state change they describe or not at all, so neither log ever
disagrees with the state; webhooks and metrics read the event log only after the commit. The
audit entry (``modgate.audit.append``) is written here and only here for moderation events: it
belongs to the tenant of the event's moderation (or, for a clear read of media no moderation
names, of the media; for a stream's event, of the stream), which the event log keeps too; its
actor is the event's (``modgate.audit.SYSTEM`` when None).
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from modgate import audit
from modgate.db.base import table_of, utcnow
from modgate.events.models.base import Event
from modgate.events.models.moderation import ClearMediaRead
from modgate.events.tables import EventRow
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationRow

_INSERT = insert(table_of(EventRow))  # built once: building costs more than running
_MODERATION_TENANT = select(ModerationRow.tenant).where(ModerationRow.id == bindparam("id"))
_MEDIA_TENANT = select(MediaRow.tenant).where(MediaRow.id == bindparam("id"))


def record(session: Session, event: Event, tenant: str | None = None) -> None:
    """Append ``event`` to the event log and the audit log inside the caller's transaction.
    ``tenant``: the tenant of the event's moderation, when the caller has it at hand (else it
    is read)."""
    payload = event.payload()
    if tenant is None:
        tenant = _tenant_of(session, event)
    session.execute(
        _INSERT,
        {
            "name": event.name,
            "moderation_id": event.moderation_id,
            "tenant": tenant,
            "payload": payload,
            "actor": event.actor,
            "created_at": utcnow(),
        },
    )
    entry = audit.Record(
        event.name,
        tenant,
        event.actor or audit.SYSTEM,
        event.audit_object(),
        payload,
        event.audit_detail(),
    )
    audit.append_at_commit(session, entry)


def _tenant_of(session: Session, event: Event) -> str:
    own = event.own_tenant()
    if own is not None:
        return own
    if event.moderation_id is not None:
        statement, key = _MODERATION_TENANT, event.moderation_id
    else:
        assert isinstance(event, ClearMediaRead)
        statement, key = _MEDIA_TENANT, event.media_id
    tenant = session.execute(statement, {"id": key}).scalar_one_or_none()
    if tenant is None:
        raise ValueError(f"{event.name}: no moderation or media {key!r} to take the tenant of")
    return str(tenant)
