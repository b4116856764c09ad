"""The audit log: one append-only, tamper-evident entry for every change worth answering for.

Writing — one way, inside the transaction of the change it records::

    from modgate import audit

    audit.append(
        session,                       # the caller's session; its transaction commits the entry
        "user.changed",                # a kind from modgate.audit.KINDS
        tenant="default",              # whose log view it belongs to
        actor=audit.user_actor(admin.id),   # or key_actor(key.id), cli_actor(), audit.SYSTEM
        object="user:usr_…",           # <type>:<id> of what changed
        payload={"role": "auditor"},   # hashed (SHA-256 of canonical JSON), never stored
        detail={"role": "auditor"},    # optional, stored and hashed: non-personal facts only
    )

``append_many(session, [audit.Record(kind, tenant, actor, object, payload, detail), …])``
appends several at once (one lock, one head write: for a change touching many objects).

The moderation events (``modgate.events.record``) append their entry themselves, so code that
records an event does not call ``append`` as well; they use ``append_at_commit``, which appends
as the transaction commits (holding the log's lock from there only: see ``at_commit``). Roll the
transaction back and the entry goes with it; ``append`` returns the ``AuditEntry`` with its
sequence number.

Tamper evidence is Certificate Transparency's (RFC 9162): each entry is a Merkle leaf
(``modgate.audit.merkle``), each row keeps its leaf hash and the tree root after it, and
signed checkpoints kept outside the database let ``modgate audit verify`` catch a log that was
truncated or recomputed. Database triggers refuse UPDATE and DELETE on ``audit_log``.
"""

from __future__ import annotations

from modgate.audit.at_commit import append_at_commit
from modgate.audit.kinds import KINDS
from modgate.audit.log import (
    ANONYMOUS,
    SYSTEM,
    AuditEntry,
    Record,
    append,
    append_many,
    canonical_json,
    cli_actor,
    key_actor,
    payload_hash,
    user_actor,
)
from modgate.audit.tables import AuditEntryRow, AuditHeadRow

__all__ = [
    "ANONYMOUS",
    "KINDS",
    "SYSTEM",
    "AuditEntry",
    "AuditEntryRow",
    "AuditHeadRow",
    "Record",
    "append",
    "append_at_commit",
    "append_many",
    "canonical_json",
    "cli_actor",
    "key_actor",
    "payload_hash",
    "user_actor",
]
