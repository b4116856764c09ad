"""The API's answers as typed dictionaries, written from ``modgate.openapi.schemas``
(the OpenAPI document's schemas) by ``python -m modgate.openapi.client_types``: do not edit by
hand. A key not listed here may be present too (a newer server's); a ``NotRequired`` key is
absent from some answers."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

Action: TypeAlias = Literal["allow", "annotate", "review", "block"]
MediaKind: TypeAlias = Literal["image", "video", "text"]
ModerationStatus: TypeAlias = Literal["queued", "completed", "failed"]
ToxicityLabelName: TypeAlias = Literal[
    "PROFANITY",
    "HATE_SPEECH",
    "INSULT",
    "GRAPHIC",
    "HARASSMENT_OR_ABUSE",
    "SEXUAL",
    "VIOLENCE_OR_THREAT",
    "TOXICITY",
]
PiiType: TypeAlias = Literal[
    "EMAIL",
    "PHONE",
    "CREDIT_DEBIT_NUMBER",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "URL",
    "USERNAME",
]
StreamStatus: TypeAlias = Literal["starting", "live", "ended", "stopped", "failed"]


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
    deleted: NotRequired[list[Literal["original", "previews", "thumbnails"]]]


class MediaErased(TypedDict):
    """An erasure request answered: the bytes and personal fields are gone, the record stays."""

    id: str
    tenant: str
    sha256: str
    erased_at: str
    deleted: list[Literal["originals", "previews", "thumbnails"]]


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


class TextOffset(TypedDict):
    """Characters ``[BeginOffset, EndOffset)`` of the text as it was sent."""

    BeginOffset: int
    EndOffset: int


class ToxicityLabel(TypedDict):
    """One of Amazon Comprehend's toxicity labels, its score (0–100, where Comprehend says
    0–1) and the words it rests on."""

    Name: ToxicityLabelName
    Score: float
    Offsets: list[TextOffset]


class PiiEntity(TypedDict):
    """Personal data, named as Amazon Comprehend's ``DetectPiiEntities`` names it."""

    Type: PiiType
    Score: float
    BeginOffset: int
    EndOffset: int


class TextFindings(TypedDict):
    """What the text detectors found in one text: a submitted text (``Source`` text), a
    caption, or text read in an image or a video sample (ocr, with ``TimestampMillis``)."""

    Source: Literal["text", "caption", "ocr"]
    Text: str
    LanguageCode: str | None
    Toxicity: float
    Labels: list[ToxicityLabel]
    Entities: list[PiiEntity]
    NormalisedText: NotRequired[str | None]
    MixedScript: NotRequired[bool | None]
    TimestampMillis: NotRequired[int | None]


class Match(TypedDict):
    label: str
    confidence: float
    action: Action
    rule: str
    timestamps: NotRequired[list[int] | None]
    text: NotRequired[str | None]


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


class ItemBankMatch(TypedDict):
    """The item matched a hash bank's content (``/v1/banks``)."""

    bank: str
    content_id: int
    distance: int
    signal_type: Literal["pdq", "vpdq", "video_md5"]
    negative: bool
    share: NotRequired[float | None]


class Moderation(ModerationBrief):
    """A moderation: its media, labels (an image's) or segments (a video's), decision and
    review. Still images carry ``labels`` and ``content_types``; videos and animations carry
    ``segments``, ``flagged_timestamps`` and ``thumbnails`` (timestamp → kept frame). Texts
    (``kind`` text), captions and text read in images and videos carry ``text_findings``."""

    media: Media | dict[str, Any]
    metadata: dict[str, Any] | None
    model_version: str | None
    labels: NotRequired[list[ModerationLabel] | None]
    content_types: NotRequired[list[ContentType] | None]
    segments: NotRequired[list[TimedLabel] | None]
    flagged_timestamps: NotRequired[list[int] | None]
    thumbnails: NotRequired[dict[str, str] | None]
    text_findings: NotRequired[list[TextFindings] | None]
    decision: Decision | None
    bank_matches: NotRequired[list[ItemBankMatch]]
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
    moderation_id: str | None
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: str
    delivered_at: str | None


class DeliveryPage(TypedDict):
    items: list[Delivery]
    next_cursor: str | None


class StreamModerationLabel(TypedDict):
    Name: str
    Confidence: float
    ParentName: NotRequired[str | None]
    TaxonomyLevel: NotRequired[int | None]


class StreamSegment(TypedDict):
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
    ThumbnailKey: NotRequired[str | None]


class StreamGap(TypedDict):
    from_ms: int
    to_ms: int


class StreamBrief(TypedDict):
    id: str
    url: str
    external_id: str | None
    context: dict[str, Any]
    fps: float
    terminate_on: list[str]
    status: StreamStatus
    reason: str | None
    samples: int
    last_sample_ms: int | None
    skipped_ms: int
    gaps: list[StreamGap]
    last_action: str | None
    created_at: str
    started_at: str | None
    ended_at: str | None


class Stream(StreamBrief):
    segments: list[StreamSegment]


class StreamPage(TypedDict):
    items: list[StreamBrief]
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


class RateByKind(TypedDict):
    false_positive_rate: float | None
    false_negative_rate: float | None


class SizeByKind(TypedDict):
    false_positive_rate: int
    false_negative_rate: int


class CategoryQuality(TypedDict):
    """One top-level category: decisions that flagged it, and its error rates over the checked
    decisions (weighted by 1/π) with their 95 % Wilson intervals."""

    flagged: int
    false_positive_rate: float | None
    false_negative_rate: float | None
    ci_low: RateByKind
    ci_high: RateByKind
    sample_size: SizeByKind


class Disagreement(TypedDict):
    compared: int
    disagreed: int
    with_machine: int
    between_reviewers: int


class QueueFigure(TypedDict):
    queue: str
    depth: int
    oldest_pending_seconds: float | None


class MetricsSummary(TypedDict):
    """What the automation and the reviewers did over a period (docs/metrics.md)."""

    tenant: str
    since: str | None
    until: str | None
    surface: str | None
    region: str | None
    queue: str | None
    total: int
    auto_allowed_ratio: float | None
    auto_blocked_ratio: float | None
    review_ratio: float | None
    actions: dict[str, float | None]
    counts: dict[str, int]
    average_review_seconds: float | None
    p90_review_seconds: float | None
    reviews_timed: int
    disagreement_rate: float | None
    disagreement: Disagreement
    appeal_overturn_rate: float | None
    appeals_resolved: int
    policy_changes: int
    queue_depth: int
    oldest_pending_seconds: float | None
    queues: list[QueueFigure]
    categories: dict[str, CategoryQuality]


class TuningBands(TypedDict):
    """A category rule's thresholds (None: the band is not used)."""

    block: int | None
    review: int | None
    annotate: int | None


class TuningRate(TypedDict):
    rate: float | None
    low: float | None
    high: float | None


class TuningFigures(TypedDict):
    """What a rule's thresholds do over the history: shares of all decisions blocked and in
    the review band, the precision of blocking and the recall of flagging (review or block)."""

    block_share: float | None
    review_share: float | None
    precision: TuningRate
    recall: TuningRate


class TuningExpected(TypedDict):
    current: TuningFigures
    proposed: TuningFigures


class TuningCategory(TypedDict):
    """A category's recommendation: ``status`` is tuned, unchanged, no_rule,
    insufficient_history or target_unreachable; ``reason`` says why."""

    status: Literal["tuned", "unchanged", "no_rule", "insufficient_history", "target_unreachable"]
    reason: str
    examples: int
    found: int
    current: TuningBands | None
    proposed: TuningBands | None
    expected: TuningExpected


class TuningCurve(TypedDict):
    """Columns, one value per threshold 0-100: weighted precision and recall with the bounds
    of their intervals, and the share of all decisions at or above the threshold."""

    examples: int
    found: int
    thresholds: list[int]
    precision: list[float | None]
    precision_low: list[float | None]
    precision_high: list[float | None]
    recall: list[float | None]
    recall_low: list[float | None]
    recall_high: list[float | None]
    share: list[float | None]


class TuningTargets(TypedDict):
    precision: float | None
    recall: float | None
    max_review_ratio: float | None
    confidence: float


class MetricsTuning(TypedDict):
    """Threshold tuning of a policy over the tenant's checked decisions (docs/metrics.md)."""

    policy: str
    policy_version: str
    targets: TuningTargets
    tenant: str
    since: str | None
    until: str | None
    surface: str | None
    examples: int
    decisions: int
    tuned: list[str]
    categories: dict[str, TuningCategory]
    curves: dict[str, TuningCurve]


class Health(TypedDict):
    status: Literal["ok"]
    version: str


class Bank(TypedDict):
    """A hash bank of the caller's tenant."""

    name: str
    description: str
    matching_enabled_ratio: float
    max_distance: int
    negative: bool
    content_count: NotRequired[int | None]
    created_at: str | None
    updated_at: str | None


class Banks(TypedDict):
    items: list[Bank]


class BankSignal(TypedDict):
    signal_type: Literal["pdq", "vpdq", "video_md5"]
    signal: str
    quality: NotRequired[int | None]
    timestamp_ms: NotRequired[int | None]


class BankContent(TypedDict):
    id: int
    bank: str
    enabled: bool
    note: str
    source: Literal["upload", "media", "moderation", "signal", "import", "review"]
    media_id: str | None
    moderation_id: str | None
    added_by: str | None
    signals: list[BankSignal]
    created_at: str | None
    updated_at: str | None


class BankContentPage(TypedDict):
    items: list[BankContent]
    next_after: int | None


class BankEntry(TypedDict):
    signal_type: str
    signal: str
    bank: str
    note: str
    enabled: bool
    content_id: int


class BankExport(TypedDict):
    entries: list[BankEntry]


class CustomLabelJob(TypedDict):
    """A custom-label training job: one version of a label, its state, and once trained its
    cross-validated metrics, model card and shadow evaluation against the live version."""

    id: str
    label: str
    version: int
    status: Literal["training", "live", "rejected", "retired", "failed"]
    source: Literal["folders", "verdicts", "api"]
    metrics: dict[str, Any]
    model_card: dict[str, Any]
    shadow: dict[str, Any]
    error: str | None
    created_at: str
    finished_at: str | None
    project_version: str


class BankImported(TypedDict):
    imported: dict[str, int]


class HmaBank(TypedDict):
    name: str
    matching_enabled_ratio: float
    enabled_ratio: float


HmaBanks: TypeAlias = list[HmaBank]


class HmaMatch(TypedDict):
    bank_content_id: int
    distance: str


HmaLookup: TypeAlias = dict[str, list[HmaMatch]]


HmaMediaLookup: TypeAlias = dict[str, dict[str, list[HmaMatch]]]


HmaHashes: TypeAlias = dict[str, str]


class HmaContentAdded(TypedDict):
    id: int
    signals: dict[str, str]


class HmaMessage(TypedDict):
    message: str


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


class AuditEntry(TypedDict):
    """One entry of the audit log (``modgate.audit``)."""

    seq: int
    time: str
    tenant: str
    actor: str
    kind: str
    object: str
    payload_hash: str
    detail: dict[str, Any]
    leaf_hash: str
    root_hash: str


class AuditPage(TypedDict):
    items: list[AuditEntry]
    next_cursor: str | None


class InclusionProof(TypedDict):
    """RFC 9162 inclusion proof: the audit path of entry ``seq`` in the tree of ``tree_size``."""

    seq: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str]


class ConsistencyProof(TypedDict):
    """RFC 9162 consistency proof: the tree of ``from_size`` entries is a prefix of the tree
    of ``to_size``."""

    from_size: int
    to_size: int
    from_root: str
    to_root: str
    proof: list[str]
