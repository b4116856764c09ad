"""The database a store contract runs on (see ``conftest.py`` for how each test gets one)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import transaction
from modgate.media.tables import MediaRow
from modgate.moderation.models import ModerationExtra, NewModeration
from modgate.moderation.store import SqlModerationStore
from modgate.tenants import DEFAULT_TENANT

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
MEDIA_ID = "med_contract"


@dataclass
class Database:
    """An empty, migrated database for one test."""

    kind: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def transaction(self) -> contextlib.AbstractContextManager[Session]:
        return transaction(self.sessions)

    def add_media(self) -> str:
        """A stored medium for moderations to refer to; its id."""
        with self.transaction() as session:
            if session.get(MediaRow, MEDIA_ID) is None:
                session.add(
                    MediaRow(
                        id=MEDIA_ID,
                        sha256="f" * 64,
                        kind="image",
                        format="PNG",
                        mime="image/png",
                        size_bytes=10,
                        blob_key="media/x",
                    )
                )
        return MEDIA_ID

    def add_moderations(self, *moderation_ids: str, tenant: str = DEFAULT_TENANT) -> None:
        """Queued moderations of ``tenant`` for jobs, reviews and events to refer to."""
        media_id = self.add_media()
        with self.transaction() as session:
            add_moderations(session, media_id, moderation_ids, tenant)


def add_moderations(
    session: Session, media_id: str, moderation_ids: Iterable[str], tenant: str = DEFAULT_TENANT
) -> None:
    """``add_moderations`` inside the caller's transaction."""
    for moderation_id in moderation_ids:
        SqlModerationStore().insert(
            session,
            NewModeration(
                id=moderation_id,
                media_id=media_id,
                sha256="f" * 64,
                kind="image",
                created_at=START,
                extra=ModerationExtra(),
                tenant=tenant,
            ),
        )
