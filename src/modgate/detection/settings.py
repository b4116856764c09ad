"""Settings of the detection stage (the ``detection`` section; env ``MODGATE_DETECTION__*``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class DetectionSettings(BaseModel):
    """Which detectors run and how. Every field is documented in ``docs/settings.md``."""

    enabled: list[str] | None = Field(
        default=None, description="Detector names to run; unset means every installed detector."
    )
    disabled: list[str] = Field(default_factory=list, description="Detector names never to run.")
    options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-detector options, keyed by detector name."
    )
    threads: int | None = Field(
        default=None, ge=1, description="Threads for model inference; unset means the core count."
    )
    min_confidence: float = Field(
        default=50.0, ge=0, le=100, description="Labels below this confidence are not reported."
    )
