"""Settings of the detection stage (the ``detection`` section; env ``MODGATE_DETECTION__*``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CascadeRule(BaseModel):
    """When the items of one surface go to the remote detectors (``docs/detection.md``,
    "Cascade")."""

    model_config = ConfigDict(extra="forbid")

    remote: Literal["never", "uncertain", "always"] = Field(
        default="uncertain",
        description="`never`: local models only; `always`: every item also goes remote; "
        "`uncertain`: only items the local models are unsure of (see `band`) or that need a "
        "label no local model covers (see `labels`).",
    )
    band: tuple[float, float] = Field(
        default=(20.0, 80.0),
        description="Local confidences (percent) from the first up to the second make an item "
        "uncertain.",
    )
    labels: list[str] = Field(
        default_factory=list,
        description="v7 labels this surface needs; when a local model covers none of them "
        "(docs/coverage.md), every item goes remote.",
    )
    backends: list[str] | None = Field(
        default=None, description="Remote detectors to ask; unset: every enabled one."
    )

    @model_validator(mode="after")
    def _check(self) -> CascadeRule:
        low, high = self.band
        if not 0 <= low < high <= 100:
            raise ValueError("band must be two confidences 0 <= low < high <= 100")
        return self


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
    min_confidence: float = Field(
        default=50.0, ge=0, le=100, description="Labels below this confidence are not reported."
    )
    cascade: dict[str, CascadeRule] = Field(
        default_factory=dict,
        description="When items go to remote detectors, per surface; `*` for every other "
        "surface. Unset: every item goes to the enabled remote detectors.",
    )
