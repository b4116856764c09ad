"""Retention and erasure of media: the bytes go, the record and what was decided stay.

Each tenant sets after how many days from an item's final decision its originals, its previews
(clear and blurred, and a video's blurred proxy) and its flagged-moment thumbnails are deleted
(``retention_settings``; none set: kept). An item's decision is final once every moderation of
the media is completed and none has a review or appeal open; it was made at the latest of its
decision, its reviews' completion and its appeals' resolution. ``RetentionService.run`` (the
worker, or ``modgate retention run``) deletes what is due, a batch at a time; decisions, labels,
verdicts, hashes and the recorded changes are kept.

``erase`` answers an erasure request for one media record at once: every kind of its bytes,
and the personal fields of its moderations (external id, client request token, context but the
surface, client metadata, appeal statements and appellants, reviewers' notes, the same fields
in its events' payloads). What was recorded about it keeps only hashes, so it stays verifiable.

Bytes are addressed by content: the original, a video's blurred proxy and the thumbnails are
stored once for every tenant that sent the same bytes, so they are deleted only when no other
record still holds them; previews are each tenant's own. Bytes are deleted before the row is
stamped, so an interrupted run leaves the item due and the next run finishes it; each deletion
is recorded (``retention.deleted`` / ``media.erased``) in the transaction that stamps it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import transaction, utcnow
from modgate.errors import InvalidParameterException, ResourceNotFoundException
from modgate.events.changes import Change, record_change
from modgate.governance.erasure import erase_personal_fields
from modgate.governance.tables import RetentionSettingRow
from modgate.media.blobstore import BlobStore
from modgate.media.previews import blurred_thumbnail_key
from modgate.media.proxy import proxy_key
from modgate.media.service import preview_keys
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationExtraRow, ModerationRow
from modgate.review.tables import AppealRow, ReviewRow
from modgate.tenants import checked_tenant

logger = logging.getLogger(__name__)
KINDS = ("originals", "previews", "thumbnails")
MAX_DAYS = 36_500
RETENTION_ACTOR = "system:retention"
# Media records whose deletions one transaction records.
COMMIT_EVERY = 100
# Keys of event payloads (at any depth) that carry what a client said about an item.


@dataclass(frozen=True, slots=True)
class Retention:
    """A tenant's retention: days after the final decision per kind; None keeps it."""

    tenant: str
    originals_days: int | None = None
    previews_days: int | None = None
    thumbnails_days: int | None = None
    updated_by: str | None = None
    updated_at: dt.datetime | None = None

    def days(self, kind: str) -> int | None:
        value: int | None = getattr(self, f"{kind}_days")
        return value

    def to_public(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "originals_days": self.originals_days,
            "previews_days": self.previews_days,
            "thumbnails_days": self.thumbnails_days,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


@dataclass
class RetentionRun:
    """What one run deleted: media records per kind."""

    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    def to_public(self) -> dict[str, Any]:
        return {"deleted": dict(self.deleted)}


def checked_days(value: int | None, kind: str) -> int | None:
    if value is None:
        return None
    if not 0 <= value <= MAX_DAYS:
        raise InvalidParameterException(
            f"{kind} days must be between 0 and {MAX_DAYS}, or empty to keep them."
        )
    return value


class RetentionService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.blobs = blobs
        self.clock = clock

    # settings --------------------------------------------------------------------------------
    def get(self, tenant: str) -> Retention:
        checked_tenant(tenant)
        with self.sessions() as session:
            row = session.get(RetentionSettingRow, tenant)
            return _retention(row) if row else Retention(tenant)

    def all(self) -> list[Retention]:
        with self.sessions() as session:
            rows = session.scalars(select(RetentionSettingRow).order_by(RetentionSettingRow.tenant))
            return [_retention(r) for r in rows]

    def set(
        self,
        tenant: str,
        *,
        originals_days: int | None,
        previews_days: int | None,
        thumbnails_days: int | None,
        actor: str,
    ) -> Retention:
        checked_tenant(tenant)
        values = {
            "originals_days": checked_days(originals_days, "originals"),
            "previews_days": checked_days(previews_days, "previews"),
            "thumbnails_days": checked_days(thumbnails_days, "thumbnails"),
        }
        with transaction(self.sessions) as session:
            row = session.get(RetentionSettingRow, tenant)
            if row is None:
                row = RetentionSettingRow(tenant=tenant)
                session.add(row)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_by = actor
            row.updated_at = self.clock()
            session.flush()
            record_change(
                session,
                Change(
                    kind="retention.changed",
                    actor=actor,
                    object=f"tenant:{tenant}",
                    tenant=tenant,
                    detail=values,
                ),
            )
            return _retention(row)

    # deleting what is due ---------------------------------------------------------------------
    def due(self, tenant: str, kind: str, now: dt.datetime, limit: int = 500) -> list[str]:
        """Ids of ``tenant``'s media whose ``kind`` is due for deletion at ``now``."""
        days = self.get(tenant).days(kind)
        if days is None:
            return []
        cutoff = now - dt.timedelta(days=days)
        column = getattr(MediaRow, f"{kind}_deleted_at")
        moderated = exists().where(ModerationRow.media_id == MediaRow.id)
        query = (
            select(MediaRow.id)
            .where(MediaRow.tenant == tenant, column.is_(None), moderated, ~_not_final(cutoff))
            .order_by(MediaRow.created_at)
            .limit(limit)
        )
        with self.sessions() as session:
            return list(session.scalars(query))

    def run(
        self, now: dt.datetime | None = None, *, tenant: str | None = None, batch: int = 500
    ) -> RetentionRun:
        """Delete every kind of media that is due, for ``tenant`` or every tenant with
        settings."""
        now = now or self.clock()
        result = RetentionRun()
        tenants = [tenant] if tenant else [r.tenant for r in self.all()]
        for name in tenants:
            for kind in KINDS:
                while ids := self.due(name, kind, now, batch):
                    for start in range(0, len(ids), COMMIT_EVERY):
                        chunk = ids[start : start + COMMIT_EVERY]
                        self._delete(chunk, (kind,), RETENTION_ACTOR, "retention.deleted", now)
                    result.deleted[kind] += len(ids)
                    if len(ids) < batch:
                        break
        return result

    def loop(self, seconds: float) -> RetentionLoop:
        """A started ``RetentionLoop`` running this service every ``seconds``."""
        loop = RetentionLoop(self, seconds)
        loop.start()
        return loop

    # erasure ---------------------------------------------------------------------------------
    def erase(self, media_id: str, *, actor: str, tenant: str | None = None) -> dict[str, Any]:
        """Delete every kind of bytes of the media and the personal fields of its moderations.
        Another tenant's media is not found. Erasing twice is harmless."""
        with self.sessions() as session:
            row = session.get(MediaRow, media_id)
            if row is None or tenant not in (None, row.tenant):
                raise ResourceNotFoundException(f"No media {media_id!r}.")
        self._delete([media_id], KINDS, actor, "media.erased", self.clock())
        with transaction(self.sessions) as session:
            row = session.get(MediaRow, media_id)
            assert row is not None
            return {
                "id": row.id,
                "tenant": row.tenant,
                "sha256": row.sha256,
                "erased_at": row.erased_at.isoformat() if row.erased_at else None,
                "deleted": list(KINDS),
            }

    # the one deletion path -------------------------------------------------------------------
    def _delete(
        self,
        media_ids: list[str],
        kinds: Iterable[str],
        actor: str,
        change_kind: str,
        now: dt.datetime,
    ) -> None:
        """Delete ``kinds`` of the bytes of every media in ``media_ids`` (one tenant's), then
        stamp them and record each in one transaction (a commit per batch, not per item)."""
        kinds = tuple(kinds)
        plans: list[tuple[str, list[str], list[str]]] = []  # media id, moderations, keys
        with self.sessions() as session:
            for media_id in media_ids:
                media = session.get(MediaRow, media_id)
                assert media is not None
                moderation_ids = list(
                    session.scalars(
                        select(ModerationRow.id).where(ModerationRow.media_id == media_id)
                    )
                )
                thumbnails = [
                    key
                    for extra in session.scalars(
                        select(ModerationExtraRow.thumbnails).where(
                            ModerationExtraRow.moderation_id.in_(moderation_ids)
                        )
                    )
                    for key in (extra or {}).values()
                ]
                plans.append(
                    (media_id, moderation_ids, self._keys(session, media, kinds, thumbnails))
                )
        for _media_id, _moderations, keys in plans:
            for key in keys:
                self.blobs.delete(key)
        erasing = change_kind == "media.erased"
        with transaction(self.sessions) as session:
            for media_id, moderation_ids, keys in plans:
                media = session.get(MediaRow, media_id)
                assert media is not None
                for kind in kinds:
                    if getattr(media, f"{kind}_deleted_at") is None:
                        setattr(media, f"{kind}_deleted_at", now)
                if "thumbnails" in kinds and moderation_ids:
                    session.execute(
                        update(ModerationExtraRow)
                        .where(ModerationExtraRow.moderation_id.in_(moderation_ids))
                        .values(thumbnails=None)
                    )
                if erasing:
                    media.erased_at = media.erased_at or now
                    erase_personal_fields(session, moderation_ids)
                record_change(
                    session,
                    Change(
                        kind=change_kind,
                        actor=actor,
                        object=f"media:{media_id}",
                        tenant=media.tenant,
                        detail={
                            "sha256": media.sha256,
                            "kinds": list(kinds),
                            "moderations": moderation_ids,
                            "blobs_deleted": len(keys),
                        },
                    ),
                )

    def _keys(
        self, session: Session, media: MediaRow, kinds: tuple[str, ...], thumbnails: list[str]
    ) -> list[str]:
        """The blob keys to delete: a tenant's own previews always; bytes shared by content
        only when no other record still holds them."""

        def unshared(kind: str) -> bool:
            column = getattr(MediaRow, f"{kind}_deleted_at")
            other = session.scalar(
                select(func.count())
                .select_from(MediaRow)
                .where(MediaRow.sha256 == media.sha256, MediaRow.id != media.id, column.is_(None))
            )
            return not other

        keys: list[str] = []
        if "originals" in kinds and unshared("originals"):
            keys.append(media.blob_key)
        if "previews" in kinds:
            keys.extend(preview_keys(media.sha256, media.tenant))
            if unshared("previews"):
                keys.append(proxy_key(media.sha256))
        if "thumbnails" in kinds and unshared("thumbnails"):
            for key in thumbnails:
                keys += [key, blurred_thumbnail_key(key)]
        return keys


class RetentionLoop:
    """Runs ``service.run()`` now and then every ``seconds`` on a thread of its own (in
    ``modgate worker``); a run that fails is logged and tried again next time."""

    def __init__(self, service: RetentionService, seconds: float) -> None:
        self.service = service
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                result = self.service.run()
                if any(result.deleted.values()):
                    logger.info("retention deleted %s", result.deleted)
            except Exception:  # a failed run must not end the worker
                logger.exception("retention run failed; trying again later")
            self._stop.wait(self.seconds)


def _not_final(cutoff: dt.datetime) -> ColumnElement[bool]:
    """Some moderation of the media is not finally decided, or was decided after ``cutoff``."""
    review_open = exists().where(
        ReviewRow.moderation_id == ModerationRow.id,
        or_(ReviewRow.status == "open", ReviewRow.completed_at > cutoff),
    )
    appeal_open = exists().where(
        AppealRow.moderation_id == ModerationRow.id,
        or_(AppealRow.status == "open", AppealRow.resolved_at > cutoff),
    )
    return exists().where(
        and_(
            ModerationRow.media_id == MediaRow.id,
            or_(
                ModerationRow.status != "completed",
                ModerationRow.decided_at.is_(None),
                ModerationRow.decided_at > cutoff,
                review_open,
                appeal_open,
            ),
        )
    )


def _retention(row: RetentionSettingRow) -> Retention:
    return Retention(
        row.tenant,
        row.originals_days,
        row.previews_days,
        row.thumbnails_days,
        row.updated_by,
        row.updated_at,
    )
