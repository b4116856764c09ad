"""The composition root: builds every store and service from ``Settings``, once per process.

Routes and CLI commands receive a ``Services`` and call use cases on it; nothing else reads
settings or builds engines. Later stages (detection, policy, pipeline, review) hang their
services here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from modgate.db import make_engine, session_factory, upgrade
from modgate.media import MediaLimits, MediaService, SqlMediaStore, make_blob_store
from modgate.media.blobstore import BlobStore
from modgate.media.service import remove_abandoned_spool
from modgate.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    media: MediaService
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, migrate: bool = True) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url
        engine = make_engine(url)
        if migrate:
            upgrade(url, engine)
        sessions = session_factory(engine)
        # The review lane reads its settings from sessions the pipeline opens (open_review).
        sessions.configure(info={"modgate.review_settings": settings.review})
        blobs = make_blob_store(settings)
        media = MediaService(
            SqlMediaStore(sessions),
            blobs,
            MediaLimits.from_settings(settings),
            preview_max_side=settings.preview_max_side,
            preview_blur_radius=settings.preview_blur_radius,
            spool_dir=settings.data_dir / "spool",
        )
        remove_abandoned_spool(settings.data_dir / "spool")
        return cls(settings, engine, sessions, blobs, media)

    def close(self) -> None:
        self.engine.dispose()
