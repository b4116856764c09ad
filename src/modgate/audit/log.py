"""Appending to the audit log, inside the caller's transaction.

``append`` takes the log's lock (the ``audit_head`` row: ``UPDATE … RETURNING``, a row lock on
PostgreSQL, the write lock on SQLite), so sequence numbers are gap-free and in commit order;
it then hashes the entry into the Merkle tree and writes the entry and the new head. Rolling
the transaction back takes the entry with it, and the next append reuses its number.

The hashed form of an entry (``leaf_data``) is the canonical JSON array of its fields; the
payload itself is not stored, only its SHA-256 (``payload_hash``), so erasing personal data
elsewhere never breaks the chain.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from modgate.audit.kinds import KINDS
from modgate.audit.merkle import Frontier, leaf_hash
from modgate.audit.tables import (
    ACTOR_LENGTH,
    HEAD_ID,
    OBJECT_LENGTH,
    AuditEntryRow,
    AuditHeadRow,
)
from modgate.db.base import table_of, utcnow
from modgate.db.dialect import insert_or_ignore
from modgate.tenants import checked_tenant

SYSTEM = "system:modgate"
"""The actor of what modgate does by itself (automatic decisions, retention)."""
ANONYMOUS = "anonymous"
"""The actor of an API call made without a key (when keys are not required)."""
ACTOR = re.compile(r"(?:(?:user|key|cli|system):\S+|anonymous)")
OBJECT = re.compile(r"[a-z_]+:\S+")

_ENTRIES = table_of(AuditEntryRow)
_HEAD = table_of(AuditHeadRow)
_INSERT = insert(_ENTRIES)
_TAKE = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(size=_HEAD.c.size + 1)
    .returning(_HEAD.c.size, _HEAD.c.frontier)
)
_SAVE = update(_HEAD).where(_HEAD.c.id == HEAD_ID)
_CREATE_HEAD = insert_or_ignore(_HEAD)
_HEAD_NOW = select(_HEAD.c.size, _HEAD.c.frontier).where(_HEAD.c.id == HEAD_ID)


def user_actor(user_id: str) -> str:
    """The actor of a console user's action."""
    return f"user:{user_id}"


def key_actor(key_id: str | None) -> str:
    """The actor of an API call: its key's id, or ``anonymous`` without one."""
    return f"key:{key_id}" if key_id else ANONYMOUS


def cli_actor() -> str:
    """The actor of a command-line change: ``cli:<os-user>@<host>``."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name: a container's numeric user
        user = "uid-unknown"
    return f"cli:{user}@{socket.gethostname()}"


def canonical_json(value: Any) -> str:
    """``value`` as JSON with sorted keys and no spaces: the same value always hashes alike."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def payload_hash(payload: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the payload's canonical JSON."""
    return hashlib.sha256(canonical_json(dict(payload)).encode()).hexdigest()


def time_text(at: dt.datetime) -> str:
    """An entry's time as it is hashed: UTC, microseconds, ISO 8601."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def leaf_data(
    seq: int,
    created_at: dt.datetime,
    tenant: str,
    actor: str,
    kind: str,
    object: str,
    payload_hash: str,
    detail: str,
) -> bytes:
    """The bytes an entry's Merkle leaf hashes: its fields as a canonical JSON array."""
    fields = [seq, time_text(created_at), tenant, actor, kind, object, payload_hash, detail]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the log. ``object`` is ``<type>:<id>`` (``moderation:mod_…``, ``user:…``);
    ``detail`` the few non-personal facts kept for auditors."""

    seq: int
    created_at: dt.datetime
    tenant: str
    actor: str
    kind: str
    object: str
    payload_hash: str
    detail: Mapping[str, Any]
    leaf_hash: bytes
    root_hash: bytes

    def to_public(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": time_text(self.created_at),
            "tenant": self.tenant,
            "actor": self.actor,
            "kind": self.kind,
            "object": self.object,
            "payload_hash": self.payload_hash,
            "detail": dict(self.detail),
            "leaf_hash": self.leaf_hash.hex(),
            "root_hash": self.root_hash.hex(),
        }


def append(
    session: Session,
    kind: str,
    *,
    tenant: str,
    actor: str,
    object: str,
    payload: Mapping[str, Any],
    detail: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry inside ``session``'s transaction and return it.

    ``payload`` is hashed, not stored; ``detail`` (strings, numbers, booleans, lists of them:
    never personal data) is stored and hashed. Raises ``ValueError`` for an unknown kind or a
    malformed actor or object: those are programming errors, not user input.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}; add it to modgate.audit.kinds")
    if not ACTOR.fullmatch(actor) or len(actor) > ACTOR_LENGTH:
        raise ValueError(f"actor {actor!r} is not user:…, key:…, cli:…, system:… or anonymous")
    if not OBJECT.fullmatch(object) or len(object) > OBJECT_LENGTH:
        raise ValueError(f"object {object!r} is not <type>:<id>")
    checked_tenant(tenant)
    size, packed = _take_head(session)
    frontier = Frontier.from_bytes(size - 1, packed)
    created_at = at or utcnow()
    created_at = created_at.astimezone(dt.UTC)
    digest = payload_hash(payload)
    detail_text = canonical_json(dict(detail or {}))
    seq = frontier.size
    leaf = leaf_hash(leaf_data(seq, created_at, tenant, actor, kind, object, digest, detail_text))
    frontier.append(leaf)
    tree_root = frontier.root()
    session.execute(
        _INSERT,
        {
            "seq": seq,
            "created_at": created_at,
            "tenant": tenant,
            "actor": actor,
            "kind": kind,
            "object": object,
            "payload_hash": digest,
            "detail": detail_text,
            "leaf_hash": leaf,
            "root_hash": tree_root,
        },
    )
    session.execute(_SAVE, {"frontier": frontier.to_bytes()})
    return AuditEntry(
        seq, created_at, tenant, actor, kind, object, digest, detail or {}, leaf, tree_root
    )


def _take_head(session: Session) -> tuple[int, bytes]:
    """Lock the head row and count the new entry in; (new size, frontier before it)."""
    row = session.execute(_TAKE).first()
    if row is None:  # a database emptied by hand: start the head again
        session.execute(_CREATE_HEAD(session), {"id": HEAD_ID, "size": 0, "frontier": b""})
        row = session.execute(_TAKE).first()
        assert row is not None
    return int(row.size), bytes(row.frontier)


def head(session: Session) -> tuple[int, bytes]:
    """(size, root hash) of the log as the head row says (not verified)."""
    row = session.execute(_HEAD_NOW).first()
    if row is None:
        return 0, Frontier().root()
    return int(row.size), Frontier.from_bytes(int(row.size), bytes(row.frontier)).root()
