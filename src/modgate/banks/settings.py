"""Settings of the hash banks (the ``banks`` section; env ``MODGATE_BANKS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class BankSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``banks``)."""

    refresh_seconds: float = Field(
        default=10.0,
        ge=0,
        le=30,
        description="How often each process reads bank changes into its index (± 20 %); 0 = "
        "only when changed through that process.",
    )
    video_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Share of a video's sampled frames, and of a banked video's, that must "
        "match for the videos to match (vPDQ).",
    )
    max_import_entries: int = Field(
        default=100_000, ge=1, description="Most entries one import may hold."
    )
    skip_detection_distance: int = Field(
        default=-1,
        ge=-1,
        le=64,
        description="A match at this PDQ distance or nearer, in a bank a policy blocks, decides "
        "the item without running the detectors; -1 = always run them.",
    )
