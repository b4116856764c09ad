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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _string
from typing import Any

from sqlalchemy import bindparam, insert, select, update
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
    .values(size=_HEAD.c.size + bindparam("count"))
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
    """The bytes an entry's Merkle leaf hashes: its fields as a canonical JSON array
    (``[seq,"time",tenant,actor,kind,object,payload_hash,detail]``, no spaces)."""
    return leaf_text(
        seq, time_text(created_at), tenant, actor, kind, object, payload_hash, detail
    ).encode()


def leaf_text(
    seq: int,
    time: str,
    tenant: str,
    actor: str,
    kind: str,
    object: str,
    payload_hash: str,
    detail: str,
) -> str:
    """``leaf_data`` from the entry's time already as text (what ``verify`` reads): the same
    JSON ``json.dumps(..., separators=(",", ":"), ensure_ascii=False)`` writes, built
    directly because verifying a long log spends its time here."""
    return (
        f"[{seq:d},{_string(time)},{_string(tenant)},{_string(actor)},{_string(kind)},"
        f"{_string(object)},{_string(payload_hash)},{_string(detail)}]"
    )


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


@dataclass(frozen=True, slots=True)
class Record:
    """One entry to append with ``append_many`` (the arguments of ``append``)."""

    kind: str
    tenant: str
    actor: str
    object: str
    payload: Mapping[str, Any]
    detail: Mapping[str, Any] | None = None


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
    record = Record(kind, tenant, actor, object, payload, detail)
    return append_many(session, [record], at=at)[0]


def append_many(
    session: Session, records: Sequence[Record], at: dt.datetime | None = None
) -> list[AuditEntry]:
    """Append several entries at once (one change touching many objects: a retention run),
    taking the log's lock and writing its head once instead of once per entry."""
    for record in records:
        check_record(record)
    if not records:
        return []
    size, packed = _take_head(session, len(records))
    frontier = Frontier.from_bytes(size - len(records), packed)
    created_at = (at or utcnow()).astimezone(dt.UTC)
    entries, rows = [], []
    for record in records:
        digest = payload_hash(record.payload)
        detail_text = canonical_json(dict(record.detail or {}))
        seq = frontier.size
        data = leaf_data(
            seq, created_at, record.tenant, record.actor, record.kind, record.object, digest,
            detail_text,
        )  # fmt: skip
        leaf = leaf_hash(data)
        frontier.append(leaf)
        tree_root = frontier.root()
        rows.append(
            {
                "seq": seq, "created_at": created_at, "tenant": record.tenant,
                "actor": record.actor, "kind": record.kind, "object": record.object,
                "payload_hash": digest, "detail": detail_text, "leaf_hash": leaf,
                "root_hash": tree_root,
            }
        )  # fmt: skip
        entries.append(
            AuditEntry(
                seq, created_at, record.tenant, record.actor, record.kind, record.object,
                digest, record.detail or {}, leaf, tree_root,
            )
        )  # fmt: skip
    session.execute(_INSERT, rows)
    session.execute(_SAVE, {"frontier": frontier.to_bytes()})
    return entries


def check_record(record: Record) -> None:
    """Raise ``ValueError`` for an unknown kind or a malformed actor, object or tenant."""
    if record.kind not in KINDS:
        raise ValueError(f"unknown audit kind {record.kind!r}; add it to modgate.audit.kinds")
    if not ACTOR.fullmatch(record.actor) or len(record.actor) > ACTOR_LENGTH:
        raise ValueError(
            f"actor {record.actor!r} is not user:…, key:…, cli:…, system:… or anonymous"
        )
    if not OBJECT.fullmatch(record.object) or len(record.object) > OBJECT_LENGTH:
        raise ValueError(f"object {record.object!r} is not <type>:<id>")
    checked_tenant(record.tenant)


def _take_head(session: Session, count: int) -> tuple[int, bytes]:
    """Lock the head row and count the new entries in; (new size, frontier before them)."""
    row = session.execute(_TAKE, {"count": count}).first()
    if row is None:  # a database emptied by hand: start the head again
        session.execute(_CREATE_HEAD(session), {"id": HEAD_ID, "size": 0, "frontier": b""})
        row = session.execute(_TAKE, {"count": count}).first()
        assert row is not None
    return int(row.size), bytes(row.frontier)


def head(session: Session) -> tuple[int, bytes]:
    """(size, root hash) of the log as the head row says (not verified)."""
    row = session.execute(_HEAD_NOW).first()
    if row is None:
        return 0, Frontier().root()
    return int(row.size), Frontier.from_bytes(int(row.size), bytes(row.frontier)).root()
