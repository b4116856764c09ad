"""Settings of live streams (the ``streams`` section; env ``MODGATE_STREAMS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StreamSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``streams``)."""

    workers: int = Field(
        default=4,
        ge=0,
        le=256,
        description="Streams one worker process (`modgate serve` with embedded workers, or "
        "`modgate worker`) holds at once; 0: it holds none.",
    )
    per_tenant: int = Field(
        default=8, ge=1, description="Streams one tenant may have starting or live at once."
    )
    max_duration_seconds: float = Field(
        default=4 * 3600.0, gt=0, description="A stream ends after this long."
    )
    lease_seconds: float = Field(
        default=15.0,
        gt=0,
        description="A held stream's lease, renewed while it runs; another worker takes over "
        "a stream whose lease ran out.",
    )
    poll_seconds: float = Field(
        default=1.0, gt=0, description="How often a worker looks for streams no one holds."
    )
    max_fps: float = Field(default=5.0, gt=0, le=30, description="Highest sampling rate allowed.")
    reconnect_attempts: int = Field(
        default=5,
        ge=0,
        description="Reconnections tried after the source is lost before the stream ends.",
    )
    reconnect_backoff_seconds: float = Field(
        default=1.0, ge=0, description="First reconnection delay; doubles on each further try."
    )
    stall_seconds: float = Field(
        default=15.0,
        gt=0,
        description="A source that delivers no new picture for this long counts as lost.",
    )
    max_holds: int = Field(
        default=10,
        ge=1,
        description="A stream taken up by a worker more than this many times without ending (its "
        "run kept failing, or the workers holding it died) fails with that reason.",
    )
    max_lag_seconds: float = Field(
        default=6.0,
        gt=0,
        description="A worker further behind the live edge than this skips to it and records "
        "the skipped time as a gap.",
    )
