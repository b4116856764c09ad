"""The banks' use cases: manage banks and their content, hash media, look signals up.

Content comes in four ways: an upload (hashed here), a stored media item or a moderation's
media (hashed from the stored bytes), a raw hash, or an import (CSV or JSON: hash, signal type,
bank, note; all or nothing). Every change is the store's (one transaction, with its
``bank.changed`` event); this process's index is refreshed right after it, other processes'
within ``banks.refresh_seconds``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session, sessionmaker

from modgate.banks.exchange import checked_note, export_rows, import_entry
from modgate.banks.hashing import Hashed, hash_file
from modgate.banks.index import BankIndex
from modgate.banks.matching import LookupOptions, Matcher
from modgate.banks.models import (
    Bank,
    BankContent,
    NewContent,
    checked_bank_name,
    checked_distance,
    checked_ratio,
)
from modgate.banks.settings import BankSettings
from modgate.banks.signals import (
    MIN_QUALITY,
    Signal,
    checked_signal,
    signal_type_of,
)
from modgate.banks.store import BankStore
from modgate.db.base import new_id, transaction
from modgate.errors import (
    BankImportInvalidException,
    BankImportTooLargeException,
    InvalidParameterException,
    LowQualitySignalException,
    ResourceNotFoundException,
)
from modgate.media.blobstore import readable_path
from modgate.media.service import MediaService
from modgate.media.store import MediaRecord
from modgate.moderation.store import ModerationStore
from modgate.taxonomy.detections import BankMatch


class BankService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: BankStore,
        index: BankIndex,
        media: MediaService,
        moderations: ModerationStore,
        settings: BankSettings,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.index = index
        self.matcher = Matcher(index)
        self.media = media
        self.moderations = moderations
        self.settings = settings

    # ---- banks ----------------------------------------------------------------------------
    def create_bank(
        self,
        tenant: str,
        name: str,
        *,
        matching_enabled_ratio: float = 1.0,
        max_distance: int = 31,
        negative: bool = False,
        description: str = "",
        actor: str | None = None,
    ) -> Bank:
        bank = Bank(
            id=new_id("bnk"),
            tenant=tenant,
            name=checked_bank_name(name),
            matching_enabled_ratio=checked_ratio(matching_enabled_ratio),
            max_distance=checked_distance(max_distance),
            negative=negative,
            description=checked_note(description),
        )
        created = self.store.create(bank, actor)
        self.index.refresh()
        return created

    def banks(self, tenant: str) -> list[Bank]:
        return self.store.banks(tenant)

    def bank(self, tenant: str, name: str) -> Bank:
        return self.store.get(tenant, name)

    def update_bank(
        self, tenant: str, name: str, changes: Mapping[str, Any], actor: str | None = None
    ) -> Bank:
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if value is None:
                continue
            if key == "matching_enabled_ratio":
                checked[key] = checked_ratio(value)
            elif key == "max_distance":
                checked[key] = checked_distance(value)
            elif key == "negative":
                checked[key] = bool(value)
            elif key == "description":
                checked[key] = checked_note(value)
            else:
                raise InvalidParameterException(f"A bank has no setting {key!r}.")
        if not checked:
            return self.store.get(tenant, name)
        updated = self.store.update(tenant, name, checked, actor)
        self.index.refresh()
        return updated

    def delete_bank(self, tenant: str, name: str, actor: str | None = None) -> None:
        self.store.delete(tenant, name, actor)
        self.index.refresh()

    # ---- hashing --------------------------------------------------------------------------
    def hash_path(self, path: Path, mirror: bool = False) -> Hashed:
        """The signals of the picture or video at ``path`` (checked as intake checks media)."""
        return hash_file(path, self.media.limits, mirror)

    def hash_stream(self, stream: IO[bytes], mirror: bool = False) -> Hashed:
        with self.media.spooled(stream) as (path, _sha256):
            return self.hash_path(path, mirror)

    def hash_record(self, record: MediaRecord, mirror: bool = False) -> Hashed:
        with readable_path(self.media.blobs, record.blob_key) as path:
            return self.hash_path(path, mirror)

    # ---- content --------------------------------------------------------------------------
    def add_signals(
        self,
        tenant: str,
        bank: str,
        signals: Sequence[Signal],
        *,
        source: str,
        note: str | None = None,
        media_id: str | None = None,
        moderation_id: str | None = None,
        actor: str | None = None,
    ) -> BankContent:
        item = self.new_content(signals, source, note, media_id, moderation_id)
        added = self.store.add(tenant, bank, [item], actor)[0]
        self.index.refresh()
        return added

    @staticmethod
    def new_content(
        signals: Sequence[Signal],
        source: str,
        note: str | None = None,
        media_id: str | None = None,
        moderation_id: str | None = None,
    ) -> NewContent:
        """Content to bank, refused when it has nothing that could ever match."""
        if not signals:
            raise InvalidParameterException("The content has no signal to bank.")
        if not any(s.matchable for s in signals):
            raise LowQualitySignalException(
                f"The picture's PDQ quality is {signals[0].quality}, under {MIN_QUALITY}: too "
                "featureless to match anything safely."
            )
        return NewContent(
            tuple(signals),
            source,
            checked_note(note),
            media_id=media_id,
            moderation_id=moderation_id,
        )

    def add_raw(
        self,
        tenant: str,
        bank: str,
        signal_type: str,
        value: str,
        note: str | None = None,
        actor: str | None = None,
    ) -> BankContent:
        kind = signal_type_of(signal_type)
        signal = Signal(kind, checked_signal(kind, value))
        return self.add_signals(tenant, bank, [signal], source="signal", note=note, actor=actor)

    def add_upload(
        self,
        tenant: str,
        bank: str,
        stream: IO[bytes],
        note: str | None = None,
        actor: str | None = None,
    ) -> BankContent:
        self.store.get(tenant, bank)  # a missing bank is refused before the work of hashing
        hashed = self.hash_stream(stream)
        return self.add_signals(
            tenant, bank, hashed.signals, source="upload", note=note, actor=actor
        )

    def add_media(
        self,
        tenant: str,
        bank: str,
        media_id: str,
        note: str | None = None,
        actor: str | None = None,
    ) -> BankContent:
        self.store.get(tenant, bank)
        record = self.media.store.get(media_id, tenant)
        if record is None:
            raise ResourceNotFoundException(f"No media {media_id!r}.")
        hashed = self.hash_record(record)
        return self.add_signals(
            tenant,
            bank,
            hashed.signals,
            source="media",
            note=note,
            media_id=record.id,
            actor=actor,
        )

    def add_moderation(
        self,
        tenant: str,
        bank: str,
        moderation_id: str,
        note: str | None = None,
        actor: str | None = None,
    ) -> BankContent:
        self.store.get(tenant, bank)
        record = self.moderation_media(tenant, moderation_id)
        hashed = self.hash_record(record)
        return self.add_signals(
            tenant,
            bank,
            hashed.signals,
            source="moderation",
            note=note,
            media_id=record.id,
            moderation_id=moderation_id,
            actor=actor,
        )

    def moderation_media(self, tenant: str, moderation_id: str) -> MediaRecord:
        with self.sessions() as session:
            moderation = self.moderations.get(session, moderation_id, tenant)
        record = (
            self.media.store.get(moderation.media_id, tenant) if moderation is not None else None
        )
        if record is None:
            raise ResourceNotFoundException(f"No moderation {moderation_id!r}.")
        return record

    def content(self, tenant: str, content_id: int) -> BankContent:
        return self.store.content(tenant, content_id)

    # ---- a reviewer's verdict, an appeal ---------------------------------------------------
    def verdict_content(self, tenant: str, bank: str, moderation_id: str) -> NewContent:
        """The moderation's media, hashed, to bank with a reviewer's block verdict (done before
        the verdict's transaction, which ``bank_in`` then writes into)."""
        self.store.get(tenant, bank)
        record = self.moderation_media(tenant, moderation_id)
        hashed = self.hash_record(record)
        return self.new_content(
            hashed.signals, "review", media_id=record.id, moderation_id=moderation_id
        )

    def bank_in(
        self, session: Session, tenant: str, bank: str, content: NewContent, actor: str
    ) -> BankContent:
        return self.store.add_in(session, tenant, bank, [content], actor)[0]

    def unbank_in(self, session: Session, tenant: str, moderation_id: str, actor: str) -> list[int]:
        """Remove what was banked from ``moderation_id`` (an appeal overturned its block)."""
        return self.store.remove_moderation_in(session, tenant, moderation_id, actor)

    def contents(
        self, tenant: str, bank: str, limit: int = 100, after: int | None = None
    ) -> list[BankContent]:
        if not 1 <= limit <= 1000:
            raise InvalidParameterException("limit must be between 1 and 1000.")
        return self.store.contents(tenant, bank, limit, after)

    def update_content(
        self,
        tenant: str,
        content_id: int,
        enabled: bool | None = None,
        note: str | None = None,
        actor: str | None = None,
    ) -> BankContent:
        changes: dict[str, Any] = {}
        if enabled is not None:
            changes["enabled"] = enabled
        if note is not None:
            changes["note"] = checked_note(note)
        if not changes:
            return self.store.content(tenant, content_id)
        updated = self.store.update_content(tenant, content_id, changes, actor)
        self.index.refresh()
        return updated

    def remove_content(self, tenant: str, content_id: int, actor: str | None = None) -> None:
        self.store.remove_content(tenant, content_id, actor)
        self.index.refresh()

    # ---- import and export ----------------------------------------------------------------
    def import_entries(
        self,
        tenant: str,
        entries: Iterable[Mapping[str, Any]],
        default_bank: str | None = None,
        actor: str | None = None,
    ) -> dict[str, int]:
        """Add every entry (``signal_type``, ``signal``, ``bank``, ``note``, ``enabled``), or
        none: one bad line refuses the whole import. How many were added, by bank."""
        by_bank: dict[str, list[NewContent]] = {}
        for line, entry in enumerate(entries, start=1):
            if line > self.settings.max_import_entries:
                raise BankImportTooLargeException(
                    f"An import holds at most {self.settings.max_import_entries} entries."
                )
            bank, item = import_entry(line, entry, default_bank)
            by_bank.setdefault(bank, []).append(item)
        if not by_bank:
            raise BankImportInvalidException("The import holds no entries.")
        with transaction(self.sessions) as session:
            for bank, items in by_bank.items():
                self.store.add_in(session, tenant, bank, items, actor)
        self.index.refresh()
        return {bank: len(items) for bank, items in by_bank.items()}

    def export(self, tenant: str, bank: str) -> list[dict[str, Any]]:
        """Every signal of the bank as import entries (a video: its MD5 and each frame's PDQ)."""
        rows: list[dict[str, Any]] = []
        after: int | None = None
        while page := self.store.contents(tenant, bank, 1000, after):
            for content in page:
                rows.extend(export_rows(content))
            after = page[-1].id
        return rows

    # ---- lookups --------------------------------------------------------------------------
    def has_banks(self, tenant: str) -> bool:
        return bool(self.index.banks_of(tenant))

    def match_record(self, record: MediaRecord, seed: str) -> tuple[BankMatch, ...]:
        """Every match of stored media in its tenant's banks (a picture's mirror image too),
        the coin flip seeded by ``seed``."""
        hashed = self.hash_record(record, mirror=True)
        found = self.lookup(record.tenant, hashed.lookup_signals(), seed=seed)
        return tuple(match for matches in found.values() for match in matches)

    def lookup(
        self,
        tenant: str,
        signals: Sequence[Signal],
        bypass_coinflip: bool = False,
        seed: str | None = None,
    ) -> dict[str, list[BankMatch]]:
        options = LookupOptions(bypass_coinflip, seed, self.settings.video_share)
        return self.matcher.lookup(tenant, signals, options)

    def lookup_raw(
        self,
        tenant: str,
        signal_type: str,
        value: str,
        bypass_coinflip: bool = False,
        seed: str | None = None,
    ) -> dict[str, list[BankMatch]]:
        kind = signal_type_of(signal_type)
        signal = Signal(kind, checked_signal(kind, value))
        return self.lookup(tenant, [signal], bypass_coinflip, seed)
