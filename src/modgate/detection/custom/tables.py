"""Custom labels and their versions.

``custom_labels`` is one row per label (its name is unique in the install: it joins the one
taxonomy every policy reads); ``custom_label_versions`` one row per training run, with its
state (``training`` → ``trained`` | ``failed``; a trained version is then ``live``,
``rejected`` by its shadow evaluation, or ``retired`` when a newer one went live), metrics,
model card and the blob-store keys of its head and of the embeddings it was trained on.
``custom_labels.live_version`` names the version that answers. Created by the ``labels``
Alembic branch (``labels_0001``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow
from modgate.tenants import TENANT_LENGTH


class CustomLabelRow(Base):
    __tablename__ = "custom_labels"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH), index=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    parent: Mapped[str | None] = mapped_column(String(128), nullable=True)
    backbone: Mapped[str] = mapped_column(String(40))
    live_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CustomLabelVersionRow(Base):
    __tablename__ = "custom_label_versions"
    __table_args__ = (UniqueConstraint("label_id", "version"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    label_id: Mapped[str] = mapped_column(ForeignKey("custom_labels.id", ondelete="CASCADE"))
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # Where the examples came from: folders, verdicts (the previous version's plus reviewed
    # items), api.
    source: Mapped[str] = mapped_column(String(16))
    head_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    examples_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    card: Mapped[dict[str, Any]] = mapped_column(default=dict)
    shadow: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # A ``training`` version is a durable job (``labels_0002``): ``request`` says what to train
    # from (stored media ids, texts, or the verdicts since a base version; None when the
    # examples were local files), ``locked_by``/``locked_until`` who trains it under which
    # lease, ``attempts`` how many times it was taken.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    request: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
