"""The shapes of the API's answers, for its OpenAPI document and typed clients.

The routes build their JSON in their own domains (``modgate.moderation.public``,
``MediaRecord.to_public`` …); these models describe it. They are never used to build or
validate an answer on the server's hot path: the conformance run (schemathesis over real HTTP,
``tests/integration/test_openapi_fuzz.py``) checks that every answer matches them. Every object
allows keys it does not list, so adding a key to an answer is not a breaking change. Examples
are real answers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Action = Literal["allow", "annotate", "review", "block"]
MediaKind = Literal["image", "video"]
ModerationStatus = Literal["queued", "completed", "failed"]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Media(Open):
    """Facts about stored media."""

    id: str = Field(examples=["med_0231a0d42641483ebc79e5351d00097e"])
    sha256: str
    kind: MediaKind
    format: str = Field(examples=["PNG", "JPEG", "MP4"])
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
    created: bool = Field(description="False when these bytes were already stored (200).")


class ModerationLabel(Open):
    """A label of Rekognition's three-level taxonomy (v7)."""

    Confidence: float = Field(ge=0, le=100)
    Name: str
    ParentName: str
    TaxonomyLevel: int = Field(ge=1, le=3)


class ContentType(Open):
    Confidence: float = Field(ge=0, le=100)
    Name: str


class TimedLabel(Open):
    """A label at a moment of a video (``Timestamp``, ms), or over a segment."""

    Timestamp: int
    ModerationLabel: ModerationLabel
    StartTimestampMillis: int | None = None
    EndTimestampMillis: int | None = None
    DurationMillis: int | None = None
    ContentTypes: list[ContentType] = []


class Match(Open):
    label: str
    confidence: float
    action: Action
    rule: str
    timestamps: list[int] | None = None


class Decision(Open):
    """What the policy decided and why: the rule that fired, one reason per match."""

    action: Action | None
    rule: str | None
    policy: str | None
    policy_version: str | None
    reasons: list[str] | None
    matched: list[Match] | None
    review: dict[str, Any] | None
    overlays: list[Any] | None


class Appeal(Open):
    id: str = Field(examples=["apl_3638432ee99143e38f0805cdc91482c7"])
    moderation_id: str
    status: str = Field(examples=["open", "resolved"])
    statement: str
    appellant: str | None
    previous_action: Action | None
    outcome: str | None
    final_action: Action | None
    created_at: str
    resolved_at: str | None


class ReviewTask(Open):
    id: str
    status: str
    claimed: bool


class ReviewVerdicts(Open):
    submitted: int
    needed: int
    actions: dict[str, int] = Field(description="Shown once the review is finished.")


class ReviewEntry(Open):
    id: str
    kind: str
    queue: str
    status: str
    created_at: str
    completed_at: str | None


class ReviewState(Open):
    """Where the moderation is in human review."""

    status: str = Field(examples=["queued", "in_review", "completed"])
    kind: str
    queue: str
    priority: int
    due_at: str
    tasks: list[ReviewTask]
    verdicts: ReviewVerdicts
    reviews: list[ReviewEntry]
    appeal: Appeal | None


class ModerationBrief(Open):
    """A moderation as lists show it."""

    id: str = Field(examples=["mod_93d6b1a4592445559e8b044f60ac32f9"])
    status: ModerationStatus
    kind: MediaKind
    external_id: str | None
    client_request_token: str | None
    created_at: str
    decided_at: str | None
    context: dict[str, Any]
    action: Action | None
    final_action: Action | None = Field(description="After review and appeal; else action.")
    rule: str | None
    policy_version: str | None


class Moderation(ModerationBrief):
    """A moderation: its media, labels (an image's) or segments (a video's), decision and
    review. Still images carry ``labels`` and ``content_types``; videos and animations carry
    ``segments``, ``flagged_timestamps`` and ``thumbnails`` (timestamp → kept frame)."""

    media: Media | dict[str, Any]
    metadata: dict[str, Any] | None
    model_version: str | None
    labels: list[ModerationLabel] | None = None
    content_types: list[ContentType] | None = None
    segments: list[TimedLabel] | None = None
    flagged_timestamps: list[int] | None = None
    thumbnails: dict[str, str] | None = None
    decision: Decision | None
    review: ReviewState | None
    error: dict[str, Any] | None


class ModerationPage(Open):
    items: list[ModerationBrief]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


class VideoLabels(Open):
    """Rekognition's ``GetContentModeration`` answer."""

    JobStatus: Literal["IN_PROGRESS", "SUCCEEDED", "FAILED"]
    JobId: str
    ModerationModelVersion: str
    VideoMetadata: dict[str, Any]
    GetRequestMetadata: dict[str, str]
    StatusMessage: str | None = None
    ModerationLabels: list[TimedLabel]
    NextToken: str | None = Field(default=None, description="Pass as `next_token`.")


class WebhookEndpoint(Open):
    id: str = Field(examples=["whk_ca3eefc681b14cc4ad0d50f82d975da2"])
    url: str
    events: list[str]
    active: bool
    client: str | None
    created_at: str


class WebhookEndpointCreated(WebhookEndpoint):
    secret: str = Field(description="Signs every delivery; shown only in this answer.")


class WebhookEndpoints(Open):
    items: list[WebhookEndpoint]


class Delivery(Open):
    id: str
    event_id: int
    event: str
    moderation_id: str
    status: str = Field(examples=["pending", "delivered", "failed"])
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: str
    delivered_at: str | None


class DeliveryPage(Open):
    items: list[Delivery]
    next_cursor: str | None


class QueueStats(Open):
    queue: str
    depth: int
    in_progress: int
    oldest_age_seconds: float | None
    sla_seconds: int | None
    overdue: int


class Queues(Open):
    queues: list[QueueStats]


class RateByKind(Open):
    false_positive_rate: float | None = Field(ge=0, le=1)
    false_negative_rate: float | None = Field(ge=0, le=1)


class SizeByKind(Open):
    false_positive_rate: int = Field(ge=0)
    false_negative_rate: int = Field(ge=0)


class CategoryQuality(Open):
    """One top-level category: decisions that flagged it, and its error rates over the checked
    decisions (weighted by 1/π) with their 95 % Wilson intervals."""

    flagged: int = Field(ge=0)
    false_positive_rate: float | None = Field(ge=0, le=1)
    false_negative_rate: float | None = Field(ge=0, le=1)
    ci_low: RateByKind
    ci_high: RateByKind
    sample_size: SizeByKind


class Disagreement(Open):
    compared: int = Field(ge=0)
    disagreed: int = Field(ge=0)
    with_machine: int = Field(ge=0)
    between_reviewers: int = Field(ge=0)


class QueueFigure(Open):
    queue: str
    depth: int = Field(ge=0)
    oldest_pending_seconds: float | None = Field(ge=0)


class MetricsSummary(Open):
    """What the automation and the reviewers did over a period (docs/metrics.md)."""

    tenant: str
    since: str | None
    until: str | None
    surface: str | None
    region: str | None
    queue: str | None
    total: int = Field(ge=0, description="Decided moderations submitted in the period.")
    auto_allowed_ratio: float | None = Field(ge=0, le=1)
    auto_blocked_ratio: float | None = Field(ge=0, le=1)
    review_ratio: float | None = Field(ge=0, le=1)
    actions: dict[str, float | None] = Field(description="Share of each machine action.")
    counts: dict[str, int]
    average_review_seconds: float | None = Field(ge=0, description="Claim to verdict.")
    p90_review_seconds: float | None = Field(ge=0)
    reviews_timed: int = Field(ge=0)
    disagreement_rate: float | None = Field(ge=0, le=1)
    disagreement: Disagreement
    appeal_overturn_rate: float | None = Field(ge=0, le=1)
    appeals_resolved: int = Field(ge=0)
    policy_changes: int = Field(ge=0)
    queue_depth: int = Field(ge=0)
    oldest_pending_seconds: float | None = Field(ge=0)
    queues: list[QueueFigure]
    categories: dict[str, CategoryQuality]


class Health(Open):
    status: Literal["ok"]
    version: str


class ErrorBody(Open):
    code: str
    message: str


class ViewerDecision(Open):
    """One item decided again for one viewer (``modgate.viewer``). ``status`` ``decided``
    carries the rest; ``pending``: still being processed; ``not_found`` (in a batch only): no
    such moderation of the caller's, with ``error``."""

    moderation_id: str = Field(examples=["mod_09146b71ceab4f1a8345a2c00e2d926e"])
    status: Literal["decided", "pending", "not_found"]
    action: Action | None = None
    rule: str | None = Field(default=None, examples=["under-13/Swimwear or Underwear"])
    policy_version: str | None = Field(
        default=None, description="The version evaluated; null when modgate ruled itself."
    )
    reasons: list[str] | None = None
    context: dict[str, str] | None = Field(
        default=None,
        description="The viewer's context as understood (surface filled in from the item).",
        examples=[{"surface": "kids", "audience": "12", "local_time": "21:30"}],
    )
    overlays: list[str] | None = Field(default=None, examples=[["night", "under-13"]])
    verdict: Literal["allow", "annotate", "block"] | None = Field(
        default=None, description="The reviewers' final verdict on the item, if any."
    )
    error: ErrorBody | None = None


class ViewerDecisions(Open):
    decisions: list[ViewerDecision] = Field(description="One per item asked for, in order.")
