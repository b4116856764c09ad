"""Live streams moderated as they play: a stream's state, its moderated segments and the gaps
between them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from modgate.openapi.schemas.base import Open

StreamStatus = Literal["starting", "live", "ended", "stopped", "failed"]


class StreamModerationLabel(Open):
    Name: str
    Confidence: float
    ParentName: str | None = None
    TaxonomyLevel: int | None = None


class StreamSegment(Open):
    """A label's stretch of a live stream, in Rekognition's segment shape, timed in
    milliseconds from the stream's start; ``Open`` while the label is still on screen (its end
    is then the last sample that showed it so far)."""

    SegmentId: str
    StartTimestampMillis: int
    EndTimestampMillis: int
    DurationMillis: int
    Timestamp: int
    ModerationLabel: StreamModerationLabel
    Open: bool
    ThumbnailKey: str | None = None


class StreamGap(Open):
    from_ms: int
    to_ms: int


class StreamBrief(Open):
    id: str = Field(examples=["str_0231a0d42641483ebc79e5351d00097e"])
    url: str
    external_id: str | None
    context: dict[str, Any]
    fps: float
    terminate_on: list[str] = Field(description="Policy actions that end the stream.")
    status: StreamStatus
    reason: str | None = Field(description="Why the stream ended, stopped or failed.")
    samples: int = Field(description="Samples detected so far.")
    last_sample_ms: int | None
    skipped_ms: int = Field(description="Time skipped to catch up with the live edge.")
    gaps: list[StreamGap]
    last_action: str | None
    created_at: str
    started_at: str | None
    ended_at: str | None


class Stream(StreamBrief):
    segments: list[StreamSegment]


class StreamPage(Open):
    items: list[StreamBrief]
    next_cursor: str | None
