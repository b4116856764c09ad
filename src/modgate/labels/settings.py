"""Settings of custom-label training jobs (the ``labels`` section; env ``MODGATE_LABELS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LabelSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``labels``)."""

    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A training job's lease, renewed while it trains; another process takes "
        "over a job whose lease ran out.",
    )
    poll_seconds: float = Field(
        default=5.0, gt=0, description="How often a process looks for training jobs no one holds."
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Times a training job is taken up before it is marked failed.",
    )
