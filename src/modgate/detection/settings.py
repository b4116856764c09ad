"""Settings of the detection stage (the ``detection`` section; env ``MODGATE_DETECTION__*``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class DetectionSettings(BaseModel):
    """Which detectors run and how. Every field is documented in ``docs/settings.md``."""

    enabled: list[str] | None = Field(
        default=None,
        description="Detector names to run; unset means every installed detector that is on by "
        "default (all but `ocr`).",
    )
    disabled: list[str] = Field(default_factory=list, description="Detector names never to run.")
    options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-detector options, keyed by detector name."
    )
    threads: int | None = Field(
        default=None, ge=1, description="Detector tasks run at once; unset means the core count."
    )
    session_threads: int = Field(
        default=1, ge=1, le=64, description="Threads inside each model session (onnxruntime)."
    )
    cache_entries: int = Field(
        default=10_000, ge=1, description="Results kept by the in-process detection cache."
    )
    video_fps: float = Field(
        default=1.0, gt=0, le=30, description="Frames per second sampled from videos."
    )
    text_enabled: list[str] | None = Field(
        default=None,
        description="Text detector names to run; unset means every installed text detector.",
    )
    text_disabled: list[str] = Field(
        default_factory=list, description="Text detector names never to run."
    )
    text_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-text-detector options, keyed by detector name."
    )
    min_confidence: float = Field(
        default=50.0, ge=0, le=100, description="Labels below this confidence are not reported."
    )
