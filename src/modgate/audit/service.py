"""Reading the audit log, proving it, and signing its checkpoints: what the API, the console and
``modgate audit`` call.

Reads are tenant-scoped: an API key sees its tenant's entries only (another tenant's entry is
answered as a missing one); console auditors see every tenant's. Entries come oldest first, in
sequence order, a page at a time; the cursor is the last sequence number a page showed.

Checkpoints are signed from the log's head row by the process that holds the signing key, every
``audit.checkpoint_interval_seconds`` when the log grew (``start``), or on demand
(``sign_checkpoint``), and written outside the database to a ``CheckpointStore`` (a folder, or
an S3 bucket: the composition root hands in a blob store): ``checkpoint`` (the latest, replaced
whole) and ``checkpoints/<size>``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from modgate.audit.checkpoint import Checkpoint, SigningKey, VerifierKey
from modgate.audit.kinds import KINDS
from modgate.audit.log import AuditEntry, head
from modgate.audit.merkle import ProofError, verify_consistency, verify_inclusion
from modgate.audit.settings import AuditSettings
from modgate.audit.tables import AuditEntryRow
from modgate.audit.verify import Verdict, prove_consistency, prove_inclusion, verify_log
from modgate.errors import (
    InvalidCheckpointException,
    InvalidParameterException,
    ResourceNotFoundException,
    SettingsError,
)

logger = logging.getLogger(__name__)
MAX_PAGE = 500
LATEST = "checkpoint"


class CheckpointStore(Protocol):
    """Where signed checkpoints are kept (``modgate.media``'s blob stores fit)."""

    def put_bytes(self, key: str, data: bytes, content_type: str = ...) -> None: ...

    def get_bytes(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


@dataclass(frozen=True)
class AuditQuery:
    """Which entries to list: ``tenant`` (None: every tenant's), a time window
    (``since`` ≤ time < ``until``), exact ``actor``, ``kind`` and ``object``."""

    tenant: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    actor: str | None = None
    kind: str | None = None
    object: str | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidParameterException(
                f"Unknown kind {self.kind!r}; the kinds are: {', '.join(KINDS)}."
            )
        for moment in (self.since, self.until):
            if moment is not None and moment.tzinfo is None:
                raise InvalidParameterException("since and until need a time zone (e.g. Z).")


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        if prefix != "seq" or not number.isdigit():
            raise ValueError(raw)
        return int(number)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidParameterException("cursor is not valid; use next_cursor as given.") from exc


def entry_of(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        row.seq,
        row.created_at,
        row.tenant,
        row.actor,
        row.kind,
        row.object,
        row.payload_hash,
        json.loads(row.detail),
        bytes(row.leaf_hash),
        bytes(row.root_hash),
    )


class AuditService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: AuditSettings,
        checkpoints: CheckpointStore,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.checkpoints = checkpoints
        self._signing_key: SigningKey | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # reading ---------------------------------------------------------------------------------
    def entries(
        self, query: AuditQuery, cursor: str | None = None, limit: int = 100
    ) -> tuple[list[AuditEntry], str | None]:
        """One page of entries, oldest first, and the cursor of the next (None: the last)."""
        limit = max(1, min(limit, MAX_PAGE))
        statement = select(AuditEntryRow).order_by(AuditEntryRow.seq).limit(limit + 1)
        if query.tenant is not None:
            statement = statement.where(AuditEntryRow.tenant == query.tenant)
        if query.since is not None:
            statement = statement.where(AuditEntryRow.created_at >= query.since)
        if query.until is not None:
            statement = statement.where(AuditEntryRow.created_at < query.until)
        for column, value in (
            (AuditEntryRow.actor, query.actor),
            (AuditEntryRow.kind, query.kind),
            (AuditEntryRow.object, query.object),
        ):
            if value is not None:
                statement = statement.where(column == value)
        with self.sessions() as session:
            if cursor is not None:
                after = decode_cursor(cursor)
                size, _root = head(session)
                if after >= size:
                    raise InvalidParameterException(
                        f"cursor is past the end of the log ({size} entries)."
                    )
                statement = statement.where(AuditEntryRow.seq > after)
            rows = list(session.scalars(statement))
        page = [entry_of(row) for row in rows[:limit]]
        more = len(rows) > limit
        return page, encode_cursor(page[-1].seq) if more and page else None

    def entry(self, seq: int, tenant: str | None) -> AuditEntry:
        """Entry ``seq``; another tenant's is answered as a missing one."""
        with self.sessions() as session:
            row = session.get(AuditEntryRow, seq)
        if row is None or (tenant is not None and row.tenant != tenant):
            raise ResourceNotFoundException(f"No audit entry {seq}.")
        return entry_of(row)

    # proofs ----------------------------------------------------------------------------------
    def size(self) -> int:
        with self.sessions() as session:
            return head(session)[0]

    def inclusion(self, seq: int, size: int | None, tenant: str | None) -> dict[str, Any]:
        """The inclusion proof of entry ``seq`` in the tree of ``size`` entries (default: the
        whole log), checked before it is answered."""
        entry = self.entry(seq, tenant)
        with self.sessions() as session:
            log_size, log_root = head(session)
            size = log_size if size is None else size
            if not seq < size <= log_size:
                raise InvalidParameterException(
                    f"size must be more than the entry's number ({seq}) and at most the log's "
                    f"size ({log_size})."
                )
            connection = session.connection()
            proof = prove_inclusion(connection, seq, size)
            root = log_root if size == log_size else _root_at(session, size)
        try:
            verify_inclusion(entry.leaf_hash, seq, size, proof, root)
        except ProofError as exc:
            raise InvalidParameterException(f"the log does not prove entry {seq}: {exc}") from exc
        return {
            "seq": seq,
            "tree_size": size,
            "leaf_hash": entry.leaf_hash.hex(),
            "root_hash": root.hex(),
            "proof": [p.hex() for p in proof],
        }

    def consistency(self, old_size: int, size: int | None) -> dict[str, Any]:
        """The consistency proof from the tree of ``old_size`` entries to ``size`` (default: the
        whole log)."""
        with self.sessions() as session:
            log_size, log_root = head(session)
            size = log_size if size is None else size
            if not 0 < old_size <= size <= log_size:
                raise InvalidParameterException(
                    f"need 0 < from ≤ to ≤ the log's size ({log_size}); got {old_size} and {size}."
                )
            proof = prove_consistency(session.connection(), old_size, size)
            old_root = _root_at(session, old_size)
            root = log_root if size == log_size else _root_at(session, size)
        try:
            verify_consistency(old_size, size, old_root, root, proof)
        except ProofError as exc:
            raise InvalidParameterException(f"the log is not consistent: {exc}") from exc
        return {
            "from_size": old_size,
            "to_size": size,
            "from_root": old_root.hex(),
            "to_root": root.hex(),
            "proof": [p.hex() for p in proof],
        }

    def verify(self, checkpoint_note: str | None = None) -> Verdict:
        """``verify_log`` over the whole log, against the signed checkpoint given."""
        checkpoint = None
        if checkpoint_note is not None:
            checkpoint = Checkpoint.open(checkpoint_note, self.verifier_key())
        with self.sessions() as session:
            return verify_log(session.connection(), checkpoint)

    # checkpoints -----------------------------------------------------------------------------
    def signing_key(self) -> SigningKey:
        if self._signing_key is None:
            path = self.settings.signing_key_file
            if path is None:
                raise SettingsError(
                    "No signing key: set MODGATE_AUDIT__SIGNING_KEY_FILE (make one with "
                    "`modgate audit keygen NAME --out FILE`)."
                )
            try:
                self._signing_key = SigningKey.parse(path.read_text())
            except OSError as exc:
                raise SettingsError(f"MODGATE_AUDIT__SIGNING_KEY_FILE: {exc}") from exc
            except InvalidCheckpointException as exc:
                raise SettingsError(f"MODGATE_AUDIT__SIGNING_KEY_FILE: {exc}") from exc
        return self._signing_key

    def verifier_key(self) -> VerifierKey:
        if self.settings.verifier_key:
            try:
                return VerifierKey.parse(self.settings.verifier_key)
            except InvalidCheckpointException as exc:
                raise SettingsError(f"MODGATE_AUDIT__VERIFIER_KEY: {exc}") from exc
        return self.signing_key().verifier

    def latest_checkpoint(self) -> str | None:
        """The latest signed checkpoint written, as it was written (None: none yet)."""
        if not self.checkpoints.exists(LATEST):
            return None
        return self.checkpoints.get_bytes(LATEST).decode()

    def sign_checkpoint(self, force: bool = False) -> str | None:
        """Sign the log's current size and root and write it; None when the latest checkpoint
        already says as much (unless ``force``)."""
        key = self.signing_key()
        with self.sessions() as session:
            size, root = head(session)
        note = Checkpoint(key.name, size, root).sign(key)
        latest = self.latest_checkpoint()
        if not force and latest is not None and latest.splitlines()[:3] == note.splitlines()[:3]:
            return None
        self.checkpoints.put_bytes(f"checkpoints/{size}", note.encode(), "text/plain")
        self.checkpoints.put_bytes(LATEST, note.encode(), "text/plain")
        return note

    def start(self) -> None:
        """Sign checkpoints in the background, when a signing key is set."""
        if self.settings.signing_key_file is None or self._thread is not None:
            return
        self.signing_key()  # a bad key stops the start with its reason
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while True:
            try:
                self.sign_checkpoint()
            except Exception:  # keep signing later: a full disk or a database restart passes
                logger.exception("signing an audit checkpoint failed")
            if self._stop.wait(self.settings.checkpoint_interval_seconds):
                return


def _root_at(session: Session, size: int) -> bytes:
    """The root the log stored with its entry ``size - 1`` (checked by the proof after)."""
    stored = session.scalar(select(AuditEntryRow.root_hash).where(AuditEntryRow.seq == size - 1))
    if stored is None:
        raise InvalidParameterException(f"the log has no entry {size - 1}.")
    return bytes(stored)
