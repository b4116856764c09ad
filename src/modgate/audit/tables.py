"""The audit log's tables: ``audit_log``, one row per audited change, never updated or deleted
(database triggers refuse both), and ``audit_head``, the single row that says how long the log
is and holds its Merkle frontier, so the next append costs ``O(log n)`` hashes.

Each entry stores its leaf hash and the root of the tree ending with it; ``modgate audit
verify`` recomputes both from the entry's fields and the entries before it, so an edited,
inserted, deleted or reordered entry shows at its sequence number. The head row is only a cache
of the log's state (rebuilt by verify), and it is what takes the lock that makes appends one at
a time: sequence numbers have no gaps and follow commit order.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base
from modgate.tenants import TENANT_LENGTH

ACTOR_LENGTH = 200
OBJECT_LENGTH = 200
KIND_LENGTH = 64
HEAD_ID = 1


class AuditEntryRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_tenant_seq", "tenant", "seq"),
        Index("ix_audit_log_tenant_object_seq", "tenant", "object", "seq"),
        Index("ix_audit_log_tenant_actor_seq", "tenant", "actor", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime]
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH))
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    object: Mapped[str] = mapped_column(String(OBJECT_LENGTH))
    payload_hash: Mapped[str] = mapped_column(String(64))
    # Canonical JSON of the few non-personal facts shown to auditors (action, policy version…);
    # stored as the exact text that was hashed.
    detail: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHeadRow(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[bytes] = mapped_column(LargeBinary)
