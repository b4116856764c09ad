"""Where media records are kept: a narrow ``MediaStore`` Protocol and its SQL implementation.

A record belongs to one tenant: the same bytes uploaded by two tenants are two records (each
its own id and time), sharing the blob. Lookups by id take the caller's tenant (None: any, for
internal readers); lookups by content always name the tenant, so an upload never learns that
another tenant has the same bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import table_of, transaction, utcnow
from modgate.db.dialect import insert_or_ignore
from modgate.errors import ModgateError
from modgate.media.models import MediaInfo
from modgate.media.tables import MediaRow
from modgate.tenants import DEFAULT_TENANT


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """A stored piece of media: its facts and where its bytes and previews live."""

    id: str
    info: MediaInfo
    blob_key: str
    preview_key: str | None
    blurred_key: str | None
    created_at: dt.datetime
    tenant: str = DEFAULT_TENANT
    # Deleted by retention or an erasure request (``modgate.governance``); the row stays.
    originals_deleted: bool = False
    previews_deleted: bool = False
    thumbnails_deleted: bool = False

    def to_public(self) -> dict[str, Any]:
        info = self.info
        return {
            "id": self.id,
            "sha256": info.sha256,
            "kind": info.kind,
            "format": info.format,
            "mime": info.mime,
            "size_bytes": info.size_bytes,
            "width": info.width if info.kind != "text" else None,
            "height": info.height if info.kind != "text" else None,
            "frame_count": info.frame_count,
            "duration_seconds": info.duration_seconds,
            "codec": info.codec,
            "frame_rate": info.frame_rate,
            "animated": info.animated,
            "created_at": self.created_at.isoformat(),
            "deleted": [
                kind
                for kind, gone in (
                    ("original", self.originals_deleted),
                    ("previews", self.previews_deleted),
                    ("thumbnails", self.thumbnails_deleted),
                )
                if gone
            ],
        }


class MediaStore(Protocol):
    def get(self, media_id: str, tenant: str | None = None) -> MediaRecord | None:
        """The record ``media_id``; None when missing or (with ``tenant``) another tenant's."""
        ...

    def get_by_sha256(self, sha256: str, tenant: str) -> MediaRecord | None: ...
    def add(self, record: MediaRecord) -> tuple[MediaRecord, bool]:
        """Store ``record``; if its tenant has its sha256 stored already, return that one and
        ``False``."""
        ...

    def add_in(self, session: Session, record: MediaRecord) -> tuple[MediaRecord, bool]:
        """``add`` inside the caller's transaction."""
        ...


def record_from_row(row: MediaRow | Row[Any]) -> MediaRecord:
    """A record from a mapped ``MediaRow`` or a result row of the ``media`` table's columns."""
    info = MediaInfo(
        kind=row.kind,  # type: ignore[arg-type]
        format=row.format,
        mime=row.mime,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        width=row.width or 0,
        height=row.height or 0,
        frame_count=row.frame_count,
        duration_seconds=row.duration_seconds,
        codec=row.codec,
        frame_rate=row.frame_rate,
        animated=row.kind == "image" and (row.frame_count or 1) > 1,
    )
    return MediaRecord(
        row.id,
        info,
        row.blob_key,
        row.preview_key,
        row.blurred_key,
        row.created_at,
        row.tenant,
        row.originals_deleted_at is not None,
        row.previews_deleted_at is not None,
        row.thumbnails_deleted_at is not None,
    )


_media = table_of(MediaRow)
_BY_SHA256 = select(_media).where(
    _media.c.sha256 == bindparam("sha256"), _media.c.tenant == bindparam("tenant")
)
# Another upload of the same bytes by the same tenant may record them first: keep theirs
# (built once per dialect).
_INSERT = insert_or_ignore(_media, _media.c.id)


class SqlMediaStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, media_id: str, tenant: str | None = None) -> MediaRecord | None:
        with self.sessions() as session:
            row = session.get(MediaRow, media_id)
            if row is None or tenant not in (None, row.tenant):
                return None
            return record_from_row(row)

    def get_by_sha256(self, sha256: str, tenant: str) -> MediaRecord | None:
        # Asked on every upload: plain columns, no mapped objects.
        with self.sessions() as session:
            row = session.execute(_BY_SHA256, {"sha256": sha256, "tenant": tenant}).first()
            return record_from_row(row) if row else None

    def add(self, record: MediaRecord) -> tuple[MediaRecord, bool]:
        with transaction(self.sessions) as session:
            return self.add_in(session, record)

    def add_in(self, session: Session, record: MediaRecord) -> tuple[MediaRecord, bool]:
        info = record.info
        row = dict(
            id=record.id,
            tenant=record.tenant,
            sha256=info.sha256,
            kind=info.kind,
            format=info.format,
            mime=info.mime,
            size_bytes=info.size_bytes,
            width=info.width,
            height=info.height,
            frame_count=info.frame_count,
            duration_seconds=info.duration_seconds,
            codec=info.codec,
            frame_rate=info.frame_rate,
            blob_key=record.blob_key,
            preview_key=record.preview_key,
            blurred_key=record.blurred_key,
            created_at=record.created_at or utcnow(),
        )
        if session.execute(_INSERT(session), row).first() is not None:
            return record, True
        existing = session.execute(
            _BY_SHA256, {"sha256": info.sha256, "tenant": record.tenant}
        ).first()
        if existing is None:
            raise ModgateError(f"media {record.id} could not be stored")
        found = record_from_row(existing)
        if found.originals_deleted or found.previews_deleted or found.thumbnails_deleted:
            # The same bytes again after retention or erasure deleted them: they are stored
            # again (the caller put them), so the record has its media back.
            session.execute(
                update(_media)
                .where(_media.c.id == found.id)
                .values(
                    originals_deleted_at=None, previews_deleted_at=None, thumbnails_deleted_at=None
                )
            )
            found = replace(
                found, originals_deleted=False, previews_deleted=False, thumbnails_deleted=False
            )
        return found, False


class InMemoryMediaStore:
    """A ``MediaStore`` in a dict, for unit tests."""

    def __init__(self) -> None:
        self.records: dict[str, MediaRecord] = {}

    def get(self, media_id: str, tenant: str | None = None) -> MediaRecord | None:
        record = self.records.get(media_id)
        return record if record is not None and tenant in (None, record.tenant) else None

    def get_by_sha256(self, sha256: str, tenant: str) -> MediaRecord | None:
        return next(
            (r for r in self.records.values() if r.info.sha256 == sha256 and r.tenant == tenant),
            None,
        )

    def add(self, record: MediaRecord) -> tuple[MediaRecord, bool]:
        existing = self.get_by_sha256(record.info.sha256, record.tenant)
        if existing:
            revived = replace(
                existing, originals_deleted=False, previews_deleted=False, thumbnails_deleted=False
            )
            self.records[existing.id] = revived
            return revived, False
        self.records[record.id] = record
        return record, True

    def add_in(self, session: Session, record: MediaRecord) -> tuple[MediaRecord, bool]:
        return self.add(record)
