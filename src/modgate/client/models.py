"""The API's answers as typed dictionaries, written from ``modgate.openapi.schemas``
(the OpenAPI document's schemas) by ``python -m modgate.openapi.client_types``: do not edit by
hand. A key not listed here may be present too (a newer server's); a ``NotRequired`` key is
absent from some answers."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

Action: TypeAlias = Literal["allow", "annotate", "review", "block"]
MediaKind: TypeAlias = Literal["image", "video"]
ModerationStatus: TypeAlias = Literal["queued", "completed", "failed"]


class Media(TypedDict):
    """Facts about stored media."""

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


class MediaUploaded(Media):
    created: bool


class ModerationLabel(TypedDict):
    """A label of Rekognition's three-level taxonomy (v7)."""

    Confidence: float
    Name: str
    ParentName: str
    TaxonomyLevel: int


class ContentType(TypedDict):
    Confidence: float
    Name: str


class TimedLabel(TypedDict):
    """A label at a moment of a video (``Timestamp``, ms), or over a segment."""

    Timestamp: int
    ModerationLabel: ModerationLabel
    StartTimestampMillis: NotRequired[int | None]
    EndTimestampMillis: NotRequired[int | None]
    DurationMillis: NotRequired[int | None]
    ContentTypes: NotRequired[list[ContentType]]


class Match(TypedDict):
    label: str
    confidence: float
    action: Action
    rule: str
    timestamps: NotRequired[list[int] | None]


class Decision(TypedDict):
    """What the policy decided and why: the rule that fired, one reason per match."""

    action: Action | None
    rule: str | None
    policy: str | None
    policy_version: str | None
    reasons: list[str] | None
    matched: list[Match] | None
    review: dict[str, Any] | None
    overlays: list[Any] | None


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


class ReviewTask(TypedDict):
    id: str
    status: str
    claimed: bool


class ReviewVerdicts(TypedDict):
    submitted: int
    needed: int
    actions: dict[str, int]


class ReviewEntry(TypedDict):
    id: str
    kind: str
    queue: str
    status: str
    created_at: str
    completed_at: str | None


class ReviewState(TypedDict):
    """Where the moderation is in human review."""

    status: str
    kind: str
    queue: str
    priority: int
    due_at: str
    tasks: list[ReviewTask]
    verdicts: ReviewVerdicts
    reviews: list[ReviewEntry]
    appeal: Appeal | None


class ModerationBrief(TypedDict):
    """A moderation as lists show it."""

    id: str
    status: ModerationStatus
    kind: MediaKind
    external_id: str | None
    client_request_token: str | None
    created_at: str
    decided_at: str | None
    context: dict[str, Any]
    action: Action | None
    final_action: Action | None
    rule: str | None
    policy_version: str | None


class Moderation(ModerationBrief):
    """A moderation: its media, labels (an image's) or segments (a video's), decision and
    review. Still images carry ``labels`` and ``content_types``; videos and animations carry
    ``segments``, ``flagged_timestamps`` and ``thumbnails`` (timestamp → kept frame)."""

    media: Media | dict[str, Any]
    metadata: dict[str, Any] | None
    model_version: str | None
    labels: NotRequired[list[ModerationLabel] | None]
    content_types: NotRequired[list[ContentType] | None]
    segments: NotRequired[list[TimedLabel] | None]
    flagged_timestamps: NotRequired[list[int] | None]
    thumbnails: NotRequired[dict[str, str] | None]
    decision: Decision | None
    review: ReviewState | None
    error: dict[str, Any] | None


class ModerationPage(TypedDict):
    items: list[ModerationBrief]
    next_cursor: str | None


class VideoLabels(TypedDict):
    """Rekognition's ``GetContentModeration`` answer."""

    JobStatus: Literal["IN_PROGRESS", "SUCCEEDED", "FAILED"]
    JobId: str
    ModerationModelVersion: str
    VideoMetadata: dict[str, Any]
    GetRequestMetadata: dict[str, str]
    StatusMessage: NotRequired[str | None]
    ModerationLabels: list[TimedLabel]
    NextToken: NotRequired[str | None]


class WebhookEndpoint(TypedDict):
    id: str
    url: str
    events: list[str]
    active: bool
    client: str | None
    created_at: str


class WebhookEndpointCreated(WebhookEndpoint):
    secret: str


class WebhookEndpoints(TypedDict):
    items: list[WebhookEndpoint]


class Delivery(TypedDict):
    id: str
    event_id: int
    event: str
    moderation_id: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: str
    delivered_at: str | None


class DeliveryPage(TypedDict):
    items: list[Delivery]
    next_cursor: str | None


class QueueStats(TypedDict):
    queue: str
    depth: int
    in_progress: int
    oldest_age_seconds: float | None
    sla_seconds: int | None
    overdue: int


class Queues(TypedDict):
    queues: list[QueueStats]


class Health(TypedDict):
    status: Literal["ok"]
    version: str


class ErrorBody(TypedDict):
    code: str
    message: str


class ViewerDecision(TypedDict):
    """One item decided again for one viewer (``modgate.viewer``). ``status`` ``decided``
    carries the rest; ``pending``: still being processed; ``not_found`` (in a batch only): no
    such moderation of the caller's, with ``error``."""

    moderation_id: str
    status: Literal["decided", "pending", "not_found"]
    action: NotRequired[Action | None]
    rule: NotRequired[str | None]
    policy_version: NotRequired[str | None]
    reasons: NotRequired[list[str] | None]
    context: NotRequired[dict[str, str] | None]
    overlays: NotRequired[list[str] | None]
    verdict: NotRequired[Literal["allow", "annotate", "block"] | None]
    error: NotRequired[ErrorBody | None]


class ViewerDecisions(TypedDict):
    decisions: list[ViewerDecision]
