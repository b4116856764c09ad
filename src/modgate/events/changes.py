"""Recording governance changes: who changed an account, a key, a webhook, a policy's
activation, or deleted media, written inside the transaction that makes the change.

``record_change(session, Change(...))`` is the one call every such change goes through (users,
API keys, webhook endpoints, policy approvals/activations/rollbacks, retention deletions and
erasures), so where changes are kept is decided here and nowhere else. The row says what kind
of change it was, the actor, the tenant, the object and a sha256 of the details; the details
themselves never carry secrets (a key's secret, a password).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from modgate.db.base import table_of, utcnow
from modgate.events.tables import EventRow

_INSERT = insert(table_of(EventRow))

# Every kind of change recorded through ``record_change``.
CHANGE_KINDS = (
    "user.added",
    "user.disabled",
    "user.enabled",
    "user.role_changed",
    "user.password_reset",
    "key.created",
    "key.revoked",
    "webhook.created",
    "webhook.deleted",
    "policy.saved",
    "policy.cases_run",
    "policy.backtested",
    "policy.approved",
    "policy.activated",
    "policy.rolled_back",
    "retention.settings_changed",
    "retention.deleted",
    "media.erased",
)


@dataclass(frozen=True, kw_only=True)
class Change:
    """One governance change. ``actor``: a console user (``user:<username>``), an API key
    (``key:<id>``) or the command line (``cli:<os-user>@<host>``); ``object_id`` names what
    changed (a user id, key id, endpoint id, policy version, media id)."""

    kind: str
    actor: str
    object_id: str
    tenant: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        body = json.dumps(self.details, sort_keys=True, default=str)
        return {
            "object": self.object_id,
            "tenant": self.tenant,
            "details": self.details,
            "sha256": hashlib.sha256(body.encode()).hexdigest(),
        }


def record_change(session: Session, change: Change) -> None:
    """Append ``change`` inside the caller's transaction: it is kept with the change or not
    at all."""
    if change.kind not in CHANGE_KINDS:
        raise ValueError(f"unknown change kind {change.kind!r}")
    session.execute(
        _INSERT,
        {
            "name": change.kind,
            "moderation_id": None,
            "payload": change.payload(),
            "actor": change.actor[:128],
            "created_at": utcnow(),
        },
    )
