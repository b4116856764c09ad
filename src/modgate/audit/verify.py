"""Checking the audit log: every entry recomputed, in order, against what it stored and, when
given, against a signed checkpoint; and the proofs a third party checks on its own.

``verify_log`` reads the log once, in sequence order. An entry whose sequence number is not the
next one (one was deleted, or inserted with numbers shifted), whose fields no longer hash to its
leaf (edited, or moved to another number: the number is hashed too), or after which the tree's
root differs from the root it stored (edited together with its leaf hash) is the first bad one,
and its number is reported. Roots are compared once per ``BLOCK`` entries and, on a difference,
entry by entry within the block, so the check costs about two hashes per entry.

What the database alone cannot show — the tail cut off, or every hash recomputed after an edit —
a checkpoint signed earlier shows: a log shorter than the checkpoint was truncated, and a log
whose first ``size`` entries no longer have the checkpoint's root was rewritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, select

from modgate.audit.checkpoint import Checkpoint
from modgate.audit.log import leaf_text
from modgate.audit.merkle import (
    Frontier,
    ProofError,
    consistency_proof,
    inclusion_proof,
)
from modgate.audit.tables import HEAD_ID, AuditEntryRow, AuditHeadRow
from modgate.db.base import table_of

BLOCK = 4096
READ_BATCH = 10_000
_ENTRIES = table_of(AuditEntryRow)
_ROOT_OF = select(_ENTRIES.c.root_hash).where(_ENTRIES.c.seq == bindparam("seq"))
_ROOTS_FROM = (
    select(_ENTRIES.c.root_hash)
    .where(_ENTRIES.c.seq >= bindparam("start"), _ENTRIES.c.seq < bindparam("end"))
    .order_by(_ENTRIES.c.seq)
)
_HEAD = table_of(AuditHeadRow)


@dataclass(frozen=True)
class Verdict:
    """The outcome: ``size`` entries checked and the root they make; ``first_bad`` the first
    bad sequence number (None: none), ``problem`` what is wrong (None: intact)."""

    size: int
    root: bytes
    first_bad: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


# The time is read as the text the leaf hashes (ISO 8601, UTC, microseconds), formatted by the
# database: parsing and formatting a million datetimes in Python would double the check's time.
# SQLite holds the UTC time as "YYYY-MM-DD HH:MM:SS.ffffff" (``modgate.db.base.UTCDateTime``).
_COLUMNS = "seq, {time}, tenant, actor, kind, object, payload_hash, detail, leaf_hash"
_TIME = {
    "postgresql": "to_char(created_at AT TIME ZONE 'UTC', "
    '\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\')',
    "sqlite": "replace(created_at, ' ', 'T') || '+00:00'",
}


def _batches(connection: Connection) -> Iterator[list[tuple[Any, ...]]]:
    """Every entry in sequence order, straight from the driver, ``READ_BATCH`` at a time (a
    server-side cursor on PostgreSQL, so a long log is never held in memory)."""
    dialect = connection.dialect.name
    sql = f"SELECT {_COLUMNS.format(time=_TIME[dialect])} FROM audit_log ORDER BY seq"
    raw = connection.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor(name="audit_verify") if dialect == "postgresql" else raw.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(READ_BATCH):
            yield batch
    finally:
        cursor.close()


def verify_log(connection: Connection, checkpoint: Checkpoint | None = None) -> Verdict:
    """Recompute the whole log; see the module docstring for what is caught."""
    frontier = Frontier()
    block = _Block(Frontier())
    at_checkpoint: bytes | None = None
    signed = checkpoint.size if checkpoint is not None else -1
    sha256 = hashlib.sha256  # the loop below runs once per entry: names looked up once
    for batch in _batches(connection):
        for seq, time, tenant, actor, kind, subject, digest, detail, stored in batch:
            expected = frontier.size
            if seq != expected:
                problem = f"entry {expected} is missing (the next is {seq})"
                return _bad(frontier, expected, problem)
            text = leaf_text(seq, time, tenant, actor, kind, subject, digest, detail)
            leaf = sha256(b"\x00" + text.encode()).digest()  # merkle.leaf_hash, inlined
            if leaf != stored:
                return _bad(frontier, seq, f"entry {seq} was changed: its fields do not hash to it")
            frontier.append(leaf)
            block.leaves.append(leaf)
            if frontier.size == signed:
                at_checkpoint = frontier.root()
            if len(block.leaves) == BLOCK:
                bad = block.first_wrong_root(frontier, connection)
                if bad is not None:
                    problem = f"entry {bad} does not chain: the tree differs there"
                    return _bad(frontier, bad, problem)
                block = _Block(Frontier(frontier.size, list(frontier.hashes)))
    bad = block.first_wrong_root(frontier, connection)
    if bad is not None:
        return _bad(frontier, bad, f"entry {bad} does not chain: the tree differs there")
    verdict = _against_head(connection, frontier)
    if verdict is None and checkpoint is not None:
        verdict = _against_checkpoint(frontier, checkpoint, at_checkpoint)
    return verdict or Verdict(frontier.size, frontier.root())


@dataclass
class _Block:
    """Up to ``BLOCK`` entries read since the frontier ``start``, and their leaves. The roots
    the entries stored are read only here, the last one first: it commits to every leaf before
    it, so the others are read only when it differs."""

    start: Frontier
    leaves: list[bytes] = field(default_factory=list)

    def first_wrong_root(self, now: Frontier, connection: Connection) -> int | None:
        """The first entry whose stored root is not the tree's; None when all match."""
        if not self.leaves:
            return None
        last = connection.execute(_ROOT_OF, {"seq": now.size - 1}).scalar_one_or_none()
        if last is not None and bytes(last) == now.root():
            return None
        stored = [
            bytes(root)
            for root in connection.execute(
                _ROOTS_FROM, {"start": self.start.size, "end": now.size}
            ).scalars()
        ]
        replay = Frontier(self.start.size, list(self.start.hashes))
        for leaf, root in zip(self.leaves, stored, strict=False):
            replay.append(leaf)
            if replay.root() != root:
                return replay.size - 1
        return now.size - 1  # pragma: no cover - the last root differed, so one did


def _bad(frontier: Frontier, seq: int, problem: str) -> Verdict:
    return Verdict(frontier.size, frontier.root(), seq, problem)


def _against_head(connection: Connection, frontier: Frontier) -> Verdict | None:
    head = connection.execute(
        select(_HEAD.c.size, _HEAD.c.frontier).where(_HEAD.c.id == HEAD_ID)
    ).first()
    if head is None:
        return _bad(frontier, frontier.size, "the log's head row is missing")
    size = int(head.size)
    if size > frontier.size:
        return _bad(
            frontier,
            frontier.size,
            f"the log ends at entry {frontier.size - 1} but its head counts {size} entries: "
            "entries from the end were deleted",
        )
    if size < frontier.size:
        return _bad(frontier, size, f"entries from {size} on were added behind the log's back")
    if Frontier.from_bytes(size, bytes(head.frontier)).root() != frontier.root():
        return _bad(frontier, frontier.size, "the log's head does not match its entries")
    return None


def _against_checkpoint(
    frontier: Frontier, checkpoint: Checkpoint, root_then: bytes | None
) -> Verdict | None:
    if checkpoint.size > frontier.size:
        return _bad(
            frontier,
            frontier.size,
            f"the log has {frontier.size} entries but the checkpoint signed {checkpoint.size}: "
            "its tail was truncated",
        )
    if checkpoint.size == 0:
        return None
    if root_then != checkpoint.root:
        return Verdict(
            frontier.size,
            frontier.root(),
            None,
            f"the first {checkpoint.size} entries do not have the signed checkpoint's root: "
            "the log was rewritten and its hashes recomputed",
        )
    return None


def leaf_hashes(connection: Connection, size: int) -> list[bytes]:
    """The stored leaf hashes of the first ``size`` entries (what proofs are built from)."""
    query = select(_ENTRIES.c.leaf_hash).where(_ENTRIES.c.seq < size).order_by(_ENTRIES.c.seq)
    return [bytes(h) for h in connection.execute(query).scalars()]


def prove_inclusion(connection: Connection, seq: int, size: int) -> list[bytes]:
    """The audit path of entry ``seq`` in the tree of the first ``size`` entries."""
    if not 0 <= seq < size:
        raise ProofError(f"entry {seq} is not in a tree of {size} entries")
    leaves = leaf_hashes(connection, size)
    if len(leaves) != size:
        raise ProofError(f"the log has {len(leaves)} entries, not {size}")
    return inclusion_proof(leaves, seq)


def prove_consistency(connection: Connection, old_size: int, size: int) -> list[bytes]:
    """The proof that the tree of ``old_size`` entries is a prefix of the tree of ``size``."""
    leaves = leaf_hashes(connection, size)
    if len(leaves) != size:
        raise ProofError(f"the log has {len(leaves)} entries, not {size}")
    return consistency_proof(leaves, old_size)
