"""Answers about stored media (``/v1/media``): the facts kept about an upload, and what an
erasure request deleted."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from modgate.openapi.schemas.base import MediaKind, Open


class Media(Open):
    """Facts about stored media."""

    id: str = Field(examples=["med_0231a0d42641483ebc79e5351d00097e"])
    sha256: str
    kind: MediaKind
    format: str = Field(examples=["PNG", "JPEG", "MP4"])
    mime: str
    size_bytes: int
    width: int | None
    height: int | None
    frame_count: int | None
    duration_seconds: float | None
    codec: str | None
    frame_rate: float | None
    animated: bool
    created_at: str
    deleted: list[Literal["original", "previews", "thumbnails"]] = Field(
        default_factory=list,
        description="What retention or an erasure request deleted of this media's bytes.",
    )


class MediaErased(Open):
    """An erasure request answered: the bytes and personal fields are gone, the record stays."""

    id: str
    tenant: str
    sha256: str
    erased_at: str
    deleted: list[Literal["originals", "previews", "thumbnails"]]


class MediaUploaded(Media):
    created: bool = Field(description="False when these bytes were already stored (200).")
