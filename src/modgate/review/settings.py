"""Settings of the review lane (the ``review`` section; env ``MODGATE_REVIEW__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReviewSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``review``)."""

    lease_seconds: int = Field(default=300, ge=10, description="How long a claim lasts.")
