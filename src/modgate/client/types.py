"""What the API answers, as typed dictionaries: the JSON the server sent, unchanged (a field a
newer server adds is there too), with the fields this version knows typed for mypy and editors.
Times are ISO 8601 strings in UTC. Labels keep Amazon Rekognition's names and casing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, NotRequired, TypeAlias, TypedDict, TypeVar

Action: TypeAlias = Literal["allow", "review", "block"]
ModerationStatus: TypeAlias = Literal["queued", "completed", "failed"]
MediaKind: TypeAlias = Literal["image", "video"]
ContextValue: TypeAlias = str | int | float | None

T = TypeVar("T")


class ModerationLabel(TypedDict):
    Name: str
    Confidence: float
    ParentName: str
    TaxonomyLevel: int


class ContentType(TypedDict):
    Name: str
    Confidence: float


class TimedLabel(TypedDict):
    """A label at a moment of a video (or animation); segments add their start and end."""

    Timestamp: int
    ModerationLabel: ModerationLabel
    StartTimestampMillis: NotRequired[int]
    EndTimestampMillis: NotRequired[int]
    DurationMillis: NotRequired[int]
    ContentTypes: NotRequired[list[ContentType]]


class Media(TypedDict):
    id: str
    sha256: str
    kind: MediaKind
    format: str
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


class UploadedMedia(Media):
    created: bool  # False: the tenant had stored these bytes already


class Decision(TypedDict):
    action: Action
    rule: str | None
    policy: str | None
    policy_version: str | None
    reasons: list[str]
    matched: list[dict[str, Any]]
    review: dict[str, Any] | None
    overlays: list[Any]


class ModerationSummary(TypedDict):
    """A moderation as listings show it."""

    id: str
    status: ModerationStatus
    kind: MediaKind | None
    external_id: str | None
    client_request_token: str | None
    created_at: str
    decided_at: str | None
    context: dict[str, ContextValue]
    action: Action | None
    final_action: Action | None
    rule: str | None
    policy_version: str | None


class Moderation(ModerationSummary):
    """A moderation: images have ``labels`` and ``content_types``; videos (and animations)
    ``segments``, ``flagged_timestamps`` and ``thumbnails``."""

    media: Media
    metadata: dict[str, Any]
    model_version: str | None
    labels: NotRequired[list[ModerationLabel]]
    content_types: NotRequired[list[ContentType]]
    segments: NotRequired[list[TimedLabel]]
    flagged_timestamps: NotRequired[list[int]]
    thumbnails: NotRequired[dict[str, str]]
    decision: Decision | None
    review: dict[str, Any] | None
    error: dict[str, Any] | None


class VideoLabels(TypedDict):
    """One page of a video's labels, as Rekognition's ``GetContentModeration``."""

    JobStatus: Literal["IN_PROGRESS", "SUCCEEDED", "FAILED"]
    JobId: str
    ModerationModelVersion: str
    VideoMetadata: dict[str, Any]
    GetRequestMetadata: dict[str, str]
    ModerationLabels: list[TimedLabel]
    NextToken: NotRequired[str]
    StatusMessage: NotRequired[str]


class Appeal(TypedDict):
    id: str
    moderation_id: str
    status: str
    statement: str
    appellant: str | None
    previous_action: Action | None
    outcome: str | None
    final_action: Action | None
    created_at: str
    resolved_at: str | None


class QueueStats(TypedDict):
    queue: str
    depth: int
    in_progress: int
    oldest_age_seconds: float | None
    sla_seconds: int
    overdue: int


class WebhookEndpoint(TypedDict):
    id: str
    url: str
    events: list[str]
    active: bool
    client: str | None
    created_at: str
    secret: NotRequired[str]  # in the answer that registered it, and only there


class Delivery(TypedDict):
    id: str
    event_id: int
    event: str
    moderation_id: str | None
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: str
    delivered_at: str | None


class WebhookEvent(TypedDict):
    """The body of a webhook delivery."""

    id: int
    type: str
    created_at: str
    data: dict[str, Any]


class Health(TypedDict):
    status: str
    version: str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; ``next_cursor`` asks for the next (None on the last)."""

    items: list[T]
    next_cursor: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
