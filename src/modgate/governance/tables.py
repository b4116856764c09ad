"""Per-tenant retention settings: after how many days from an item's final decision its
original, its previews (and blurred video proxy) and its flagged-moment thumbnails are deleted.
A missing row, or a null number of days, keeps that kind of media for ever."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base
from modgate.tenants import TENANT_LENGTH


class RetentionSettingRow(Base):
    __tablename__ = "retention_settings"

    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH), primary_key=True)
    originals_days: Mapped[int | None] = mapped_column(Integer)
    previews_days: Mapped[int | None] = mapped_column(Integer)
    thumbnails_days: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[dt.datetime] = mapped_column()
