"""Retention and erasure on SQLite and PostgreSQL, with real blobs in a local folder: exactly
the media due is deleted (per tenant, per kind, only after a final decision old enough), bytes
another tenant still holds stay, the record, decision, labels and hash stay, previews are not
made again; an erasure removes the personal fields too, and another tenant's media is not
found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from corpus import image_bytes
from modgate.audit import AuditEntryRow
from modgate.db.base import new_id, transaction
from modgate.errors import MediaDeletedException, ResourceNotFoundException
from modgate.events import ModerationCreated
from modgate.events import record as record_event
from modgate.events.tables import EventRow
from modgate.media.previews import blurred_thumbnail_key
from modgate.media.service import preview_keys
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationExtraRow, ModerationRow
from modgate.review.tables import AppealRow, ReviewRow
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import wait_for

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    settings = load_settings(
        data_dir=tmp_path / "data", database_url=database_url, detection={"enabled": ["marker"]}
    )
    built = Services.build(settings, role="cli")
    yield built
    built.close()


class Item:
    """One uploaded medium of a tenant with a moderation decided ``age`` before NOW."""

    def __init__(
        self,
        services: Services,
        seed: int,
        tenant: str,
        age: dt.timedelta | None,
        *,
        open_review: bool = False,
    ) -> None:
        self.services = services
        record, _ = services.media.ingest_bytes(image_bytes("PNG", 64, 48, seed), tenant=tenant)
        self.media_id, self.sha256, self.blob_key = record.id, record.info.sha256, record.blob_key
        services.media.preview(record)  # both previews made and stored
        self.previews = preview_keys(self.sha256, tenant)
        self.thumbnail = f"thumbnails/{self.sha256[:2]}/{self.sha256}/1000.jpg"
        services.blobs.put_bytes(self.thumbnail, image_bytes("JPEG", 32, 32, seed), "image/jpeg")
        services.blobs.put_bytes(blurred_thumbnail_key(self.thumbnail), b"blurred", "image/jpeg")
        self.moderation_id = new_id("mod")
        with transaction(services.sessions) as session:
            session.add(
                ModerationRow(
                    id=self.moderation_id,
                    tenant=tenant,
                    media_id=self.media_id,
                    sha256=self.sha256,
                    kind="image",
                    status="completed" if age is not None else "queued",
                    external_id=f"user-42-photo-{seed}",
                    client_request_token=f"token-{seed}",
                    surface="dating",
                    context={"surface": "dating", "region": "DE", "user_state": "new"},
                    labels=[{"Name": "Explicit", "Confidence": 97.0}],
                    action="block",
                    final_action="block",
                    rule_id="explicit-adult",
                    created_at=NOW - (age or DAY) - DAY,
                    decided_at=NOW - age if age is not None else None,
                )
            )
            session.flush()
            session.add(
                ModerationExtraRow(
                    moderation_id=self.moderation_id,
                    client="upload-service",
                    client_metadata={"uploader_email": "someone@example.com"},
                    thumbnails={"1000": self.thumbnail},
                )
            )
            record_event(
                session,
                ModerationCreated(
                    moderation_id=self.moderation_id,
                    external_id=f"user-42-photo-{seed}",
                    sha256=self.sha256,
                ),
            )
            if open_review:
                session.add(
                    ReviewRow(
                        id=new_id("rev"),
                        moderation_id=self.moderation_id,
                        kind="appeal",
                        queue="appeals",
                        priority="normal",
                        status="open",
                        reviewers_needed=1,
                        strategy="single",
                        due_at=NOW + DAY,
                    )
                )
                session.add(
                    AppealRow(
                        id=new_id("apl"),
                        moderation_id=self.moderation_id,
                        review_id="rev",
                        statement="It is my own wedding photo, I am Jane Doe.",
                        appellant="jane@example.com",
                    )
                )

    def has(self, key: str) -> bool:
        return self.services.blobs.exists(key)

    def row(self) -> MediaRow:
        with self.services.sessions() as session:
            row = session.get(MediaRow, self.media_id)
            assert row is not None
            return row

    def moderation(self) -> ModerationRow:
        with self.services.sessions() as session:
            row = session.get(ModerationRow, self.moderation_id)
            assert row is not None
            return row


def changes(services: Services, kind: str) -> list[AuditEntryRow]:
    with services.sessions() as session:
        return list(session.scalars(select(AuditEntryRow).where(AuditEntryRow.kind == kind)))


def test_retention_deletes_exactly_what_is_due(services: Services) -> None:
    retention = services.retention
    retention.set(
        "shop", originals_days=30, previews_days=60, thumbnails_days=30, actor="user:admin"
    )
    old = Item(services, 1, "shop", 40 * DAY)
    recent = Item(services, 2, "shop", 10 * DAY)
    appealed = Item(services, 3, "shop", 40 * DAY, open_review=True)
    undecided = Item(services, 4, "shop", None)
    # Another tenant, no settings, the same bytes as ``old``, decided long ago.
    same_bytes = Item(services, 1, "other", 400 * DAY)
    assert same_bytes.blob_key == old.blob_key

    first = retention.run(NOW)
    assert first.deleted == {"originals": 1, "previews": 0, "thumbnails": 1}
    assert old.row().originals_deleted_at == NOW and old.row().thumbnails_deleted_at == NOW
    assert old.row().previews_deleted_at is None
    # The other tenant still holds these bytes, and the thumbnails made of them.
    assert old.has(old.blob_key) and old.has(old.thumbnail)
    assert all(old.has(key) for key in old.previews)
    for kept in (recent, appealed, undecided, same_bytes):
        row = kept.row()
        assert (row.originals_deleted_at, row.previews_deleted_at) == (None, None), kept.media_id
        assert kept.has(kept.blob_key) and all(kept.has(k) for k in kept.previews)
    # The record, its decision, labels and hash are kept; the thumbnail pointer is gone.
    moderation = old.moderation()
    assert (moderation.final_action, moderation.sha256) == ("block", old.sha256)
    assert moderation.labels == [{"Name": "Explicit", "Confidence": 97.0}]
    assert moderation.external_id == "user-42-photo-1"  # retention is not erasure
    with services.sessions() as session:
        extra = session.get(ModerationExtraRow, old.moderation_id)
        assert extra is not None and extra.thumbnails is None

    # Nothing more is due now. 25 days later the old item's previews are (and are not made
    # again), and the recent item's original and thumbnails.
    assert retention.run(NOW).deleted == {"originals": 0, "previews": 0, "thumbnails": 0}
    later = retention.run(NOW + 25 * DAY)
    assert later.deleted == {"originals": 1, "previews": 1, "thumbnails": 1}
    assert recent.row().originals_deleted_at == NOW + 25 * DAY
    assert not recent.has(recent.blob_key) and all(recent.has(k) for k in recent.previews)
    assert appealed.has(appealed.blob_key) and undecided.has(undecided.blob_key)
    assert not any(old.has(key) for key in old.previews)
    record = services.media.store.get(old.media_id)
    assert record is not None and record.previews_deleted
    with pytest.raises(MediaDeletedException):
        services.media.preview(record)
    assert len(changes(services, "retention.deleted")) == 5
    assert len(changes(services, "retention.changed")) == 1


def test_bytes_no_other_record_holds_are_deleted(services: Services) -> None:
    services.retention.set(
        "shop", originals_days=0, previews_days=0, thumbnails_days=0, actor="user:admin"
    )
    item = Item(services, 7, "shop", DAY)
    assert services.retention.run(NOW).deleted == {"originals": 1, "previews": 1, "thumbnails": 1}
    assert not item.has(item.blob_key) and not item.has(item.thumbnail)
    assert not item.has(blurred_thumbnail_key(item.thumbnail))
    assert not any(item.has(key) for key in item.previews)
    # The same bytes uploaded again: stored again, and the record has its media back.
    again, created = services.media.ingest_bytes(image_bytes("PNG", 64, 48, 7), tenant="shop")
    assert (again.id, created, again.originals_deleted) == (item.media_id, False, False)
    assert item.has(item.blob_key)


def test_erasure_removes_bytes_and_personal_fields_and_keeps_the_record(
    services: Services,
) -> None:
    item = Item(services, 5, "shop", DAY, open_review=True)
    with pytest.raises(ResourceNotFoundException):
        services.retention.erase(item.media_id, actor="key:other", tenant="other")
    assert item.has(item.blob_key)

    erased = services.retention.erase(item.media_id, actor="key:shop", tenant="shop")
    assert erased["sha256"] == item.sha256 and erased["erased_at"]
    assert not item.has(item.blob_key) and not any(item.has(k) for k in item.previews)
    moderation = item.moderation()
    assert moderation.external_id is None and moderation.client_request_token is None
    assert moderation.context == {"surface": "dating"}
    assert (moderation.final_action, moderation.sha256) == ("block", item.sha256)
    with services.sessions() as session:
        extra = session.get(ModerationExtraRow, item.moderation_id)
        assert extra is not None and extra.client_metadata == {}
        appeal = session.scalars(
            select(AppealRow).where(AppealRow.moderation_id == item.moderation_id)
        ).one()
        assert (appeal.statement, appeal.appellant) == ("[erased]", None)
        created = session.scalars(
            select(EventRow).where(
                EventRow.moderation_id == item.moderation_id,
                EventRow.name == "moderation.created",
            )
        ).one()
        assert created.payload["external_id"] is None
        assert created.payload["sha256"] == item.sha256
        assert session.scalar(select(func.count()).select_from(MediaRow)) == 1
    (change,) = changes(services, "media.erased")
    assert (change.actor, change.object, change.tenant) == (
        "key:shop",
        f"media:{item.media_id}",
        "shop",
    )
    assert "user-42" not in change.detail and "jane" not in change.detail
    # Erasing again is harmless.
    services.retention.erase(item.media_id, actor="key:shop", tenant="shop")


def test_the_workers_retention_loop_deletes_what_is_due(services: Services) -> None:
    services.retention.set(
        "shop", originals_days=0, previews_days=None, thumbnails_days=None, actor="user:admin"
    )
    item = Item(services, 8, "shop", DAY)
    loop = services.retention.loop(3600)
    try:
        wait_for(lambda: item.row().originals_deleted_at is not None, timeout=20)
    finally:
        loop.stop()
    assert not item.has(item.blob_key) and all(item.has(k) for k in item.previews)
