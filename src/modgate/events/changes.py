"""A governance change to record in the audit log (``modgate.audit``), inside the transaction
that makes it: accounts, API keys, webhook endpoints, policy saves, case runs, backtests,
approvals, activations and rollbacks, retention settings and deletions, erasures.

A ``Change`` is built where the change is decided and written by ``record_change`` where the
transaction is (a store may take one to write with its own rows). ``payload`` is hashed into the
entry and not kept; ``detail`` is kept and must hold no personal data (ids, roles, counts, not
usernames, URLs or statements). Global objects (accounts, policies) are logged under the
``default`` tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from modgate import audit
from modgate.tenants import DEFAULT_TENANT


@dataclass(frozen=True, kw_only=True)
class Change:
    """``kind`` from ``modgate.audit.KINDS``; ``object`` is ``<type>:<id>``; ``actor`` is
    ``user:<user id>``, ``key:<key id>``, ``cli:<os-user>@<host>`` or ``system:…``."""

    kind: str
    actor: str
    object: str
    tenant: str = DEFAULT_TENANT
    payload: Mapping[str, Any] = field(default_factory=dict)
    detail: Mapping[str, Any] = field(default_factory=dict)


def record_change(session: Session, change: Change) -> audit.AuditEntry:
    """Append ``change`` to the audit log inside the caller's transaction: it commits with the
    change or not at all."""
    return audit.append(
        session,
        change.kind,
        tenant=change.tenant,
        actor=change.actor,
        object=change.object,
        payload={**change.payload, **change.detail},
        detail=change.detail,
    )
