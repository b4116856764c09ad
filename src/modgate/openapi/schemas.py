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

from pydantic import BaseModel, ConfigDict, Field, RootModel

Action = Literal["allow", "annotate", "review", "block"]
MediaKind = Literal["image", "video", "text"]
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
    deleted: list[Literal["original", "previews", "thumbnails"]] = Field(
        default_factory=list,
        description="What retention or an erasure request deleted of this media's bytes.",
    )


class MediaErased(Open):
    """An erasure request answered: the bytes and personal fields are gone, the record stays."""

    id: str
    tenant: str
    sha256: str
    erased_at: str
    deleted: list[Literal["originals", "previews", "thumbnails"]]


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


ToxicityLabelName = Literal[
    "PROFANITY",
    "HATE_SPEECH",
    "INSULT",
    "GRAPHIC",
    "HARASSMENT_OR_ABUSE",
    "SEXUAL",
    "VIOLENCE_OR_THREAT",
    "TOXICITY",
]
PiiType = Literal[
    "EMAIL",
    "PHONE",
    "CREDIT_DEBIT_NUMBER",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "URL",
    "USERNAME",
]


class TextOffset(Open):
    """Characters ``[BeginOffset, EndOffset)`` of the text as it was sent."""

    BeginOffset: int = Field(ge=0)
    EndOffset: int = Field(ge=0)


class ToxicityLabel(Open):
    """One of Amazon Comprehend's toxicity labels, its score (0–100, where Comprehend says
    0–1) and the words it rests on."""

    Name: ToxicityLabelName
    Score: float = Field(ge=0, le=100)
    Offsets: list[TextOffset]


class PiiEntity(Open):
    """Personal data, named as Amazon Comprehend's ``DetectPiiEntities`` names it."""

    Type: PiiType
    Score: float = Field(ge=0, le=100)
    BeginOffset: int = Field(ge=0)
    EndOffset: int = Field(ge=0)


class TextFindings(Open):
    """What the text detectors found in one text: a submitted text (``Source`` text), a
    caption, or text read in an image or a video sample (ocr, with ``TimestampMillis``)."""

    Source: Literal["text", "caption", "ocr"]
    Text: str = Field(description="The text as it was sent (offsets count its characters).")
    LanguageCode: str | None
    Toxicity: float = Field(ge=0, le=100, description="The overall TOXICITY score.")
    Labels: list[ToxicityLabel]
    Entities: list[PiiEntity]
    NormalisedText: str | None = Field(
        default=None,
        description="What the detectors read, when normalisation changed the text (NFKC, "
        "look-alike letters, invisible characters).",
    )
    MixedScript: bool | None = Field(
        default=None, description="True when a word mixed scripts (a spoofing sign)."
    )
    TimestampMillis: int | None = None


class Match(Open):
    label: str = Field(
        description="The image label; for a text rule, the toxicity label or personal data "
        "type that fired it, or `text` when a word or pattern matched (`text` says what)."
    )
    confidence: float
    action: Action
    rule: str
    timestamps: list[int] | None = None
    text: str | None = Field(
        default=None, description="The text a word or pattern of a text rule matched."
    )


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


class ItemBankMatch(Open):
    """The item matched a hash bank's content (``/v1/banks``)."""

    bank: str
    content_id: int
    distance: int = Field(description="PDQ Hamming distance; 0 for an exact video MD5.")
    signal_type: Literal["pdq", "vpdq", "video_md5"]
    negative: bool = Field(description="The bank holds known-good content.")
    share: float | None = Field(default=None, description="vPDQ: share of frames matched.")


class Moderation(ModerationBrief):
    """A moderation: its media, labels (an image's) or segments (a video's), decision and
    review. Still images carry ``labels`` and ``content_types``; videos and animations carry
    ``segments``, ``flagged_timestamps`` and ``thumbnails`` (timestamp → kept frame). Texts
    (``kind`` text), captions and text read in images and videos carry ``text_findings``."""

    media: Media | dict[str, Any]
    metadata: dict[str, Any] | None
    model_version: str | None
    labels: list[ModerationLabel] | None = None
    content_types: list[ContentType] | None = None
    segments: list[TimedLabel] | None = None
    flagged_timestamps: list[int] | None = None
    thumbnails: dict[str, str] | None = None
    text_findings: list[TextFindings] | None = None
    decision: Decision | None
    bank_matches: list[ItemBankMatch] = Field(
        default_factory=list, description="Matches in the tenant's hash banks, nearest first."
    )
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
    moderation_id: str | None = Field(description="None for an event about a live stream.")
    status: str = Field(examples=["pending", "delivered", "failed"])
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: str
    delivered_at: str | None


class DeliveryPage(Open):
    items: list[Delivery]
    next_cursor: str | None


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


class TuningBands(Open):
    """A category rule's thresholds (None: the band is not used)."""

    block: int | None = Field(ge=0, le=100)
    review: int | None = Field(ge=0, le=100)
    annotate: int | None = Field(ge=0, le=100)


class TuningRate(Open):
    rate: float | None = Field(ge=0, le=1)
    low: float | None = Field(ge=0, le=1)
    high: float | None = Field(ge=0, le=1)


class TuningFigures(Open):
    """What a rule's thresholds do over the history: shares of all decisions blocked and in
    the review band, the precision of blocking and the recall of flagging (review or block)."""

    block_share: float | None = Field(ge=0, le=1)
    review_share: float | None = Field(ge=0, le=1)
    precision: TuningRate
    recall: TuningRate


class TuningExpected(Open):
    current: TuningFigures
    proposed: TuningFigures


class TuningCategory(Open):
    """A category's recommendation: ``status`` is tuned, unchanged, no_rule,
    insufficient_history or target_unreachable; ``reason`` says why."""

    status: Literal["tuned", "unchanged", "no_rule", "insufficient_history", "target_unreachable"]
    reason: str
    examples: int = Field(ge=0, description="Checked decisions that named or found it.")
    found: int = Field(ge=0, description="Checked decisions where the person found it.")
    current: TuningBands | None
    proposed: TuningBands | None
    expected: TuningExpected


class TuningCurve(Open):
    """Columns, one value per threshold 0-100: weighted precision and recall with the bounds
    of their intervals, and the share of all decisions at or above the threshold."""

    examples: int = Field(ge=0)
    found: int = Field(ge=0)
    thresholds: list[int]
    precision: list[float | None]
    precision_low: list[float | None]
    precision_high: list[float | None]
    recall: list[float | None]
    recall_low: list[float | None]
    recall_high: list[float | None]
    share: list[float | None]


class TuningTargets(Open):
    precision: float | None = Field(ge=0, le=1)
    recall: float | None = Field(ge=0, le=1)
    max_review_ratio: float | None = Field(ge=0, le=1)
    confidence: float = Field(gt=0, lt=1)


class MetricsTuning(Open):
    """Threshold tuning of a policy over the tenant's checked decisions (docs/metrics.md)."""

    policy: str
    policy_version: str
    targets: TuningTargets
    tenant: str
    since: str | None
    until: str | None
    surface: str | None
    examples: int = Field(ge=0, description="Checked decisions read.")
    decisions: int = Field(ge=0, description="Decisions of the period.")
    tuned: list[str]
    categories: dict[str, TuningCategory]
    curves: dict[str, TuningCurve]


class Health(Open):
    status: Literal["ok"]
    version: str


class Bank(Open):
    """A hash bank of the caller's tenant."""

    name: str = Field(examples=["TERROR_KNOWN"])
    description: str
    matching_enabled_ratio: float = Field(ge=0, le=1)
    max_distance: int = Field(ge=0, le=64)
    negative: bool = Field(description="Known-good content: a match suppresses labels.")
    content_count: int | None = None
    created_at: str | None
    updated_at: str | None


class Banks(Open):
    items: list[Bank]


class BankSignal(Open):
    signal_type: Literal["pdq", "vpdq", "video_md5"]
    signal: str
    quality: int | None = None
    timestamp_ms: int | None = None


class BankContent(Open):
    id: int = Field(description="HMA's bank_content_id.")
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


class BankContentPage(Open):
    items: list[BankContent]
    next_after: int | None = Field(description="Pass as `after` for the next page.")


class BankEntry(Open):
    signal_type: str
    signal: str
    bank: str
    note: str
    enabled: bool
    content_id: int


class BankExport(Open):
    entries: list[BankEntry]


class CustomLabelJob(Open):
    """A custom-label training job: one version of a label, its state, and once trained its
    cross-validated metrics, model card and shadow evaluation against the live version."""

    id: str = Field(examples=["clv_5f0c8e2a9d6b4f1e8a7c3b2d1e0f9a8b"])
    label: str = Field(examples=["Landscape Photo"])
    version: int = Field(ge=1)
    status: Literal["training", "live", "rejected", "retired", "failed"]
    source: Literal["folders", "verdicts", "api"]
    metrics: dict[str, Any] = Field(
        description="Cross-validated precision, recall, accuracy, f1, brier and counts."
    )
    model_card: dict[str, Any]
    shadow: dict[str, Any] = Field(
        description="The live and candidate versions' figures on the examples the live one "
        "never saw, and whether the candidate was promoted (empty for a first version)."
    )
    error: str | None
    created_at: str
    finished_at: str | None
    project_version: str = Field(
        description="The id Rekognition's DetectModerationLabels takes as ProjectVersion."
    )


class BankImported(Open):
    imported: dict[str, int] = Field(description="Entries added, by bank.")


class HmaBank(Open):
    name: str
    matching_enabled_ratio: float
    enabled_ratio: float


class HmaBanks(RootModel[list[HmaBank]]):
    pass


class HmaMatch(Open):
    bank_content_id: int
    distance: str = Field(description="The Hamming distance (0 for MD5), as HMA gives it.")


class HmaLookup(RootModel[dict[str, list[HmaMatch]]]):
    """Matches by bank name."""


class HmaMediaLookup(RootModel[dict[str, dict[str, list[HmaMatch]]]]):
    """Matches by signal type, then bank name."""


class HmaHashes(RootModel[dict[str, str]]):
    """Hashes by signal type: ``pdq`` for a photo, ``video_md5`` for a video."""


class HmaContentAdded(Open):
    id: int
    signals: dict[str, str]


class HmaMessage(Open):
    message: str


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


class AuditEntry(Open):
    """One entry of the audit log (``modgate.audit``)."""

    seq: int = Field(description="Sequence number: the entry's leaf index in the Merkle tree.")
    time: str = Field(description="When it was written, ISO 8601 in UTC.")
    tenant: str
    actor: str = Field(
        description="user:<id>, key:<id>, cli:<os-user>@<host>, system:modgate or anonymous.",
        examples=["key:64ac98ae122203ac"],
    )
    kind: str = Field(examples=["moderation.completed"])
    object: str = Field(examples=["moderation:mod_0231a0d42641483ebc79e5351d00097e"])
    payload_hash: str = Field(description="Hex SHA-256 of the payload's canonical JSON.")
    detail: dict[str, Any] = Field(description="Non-personal facts kept for auditors.")
    leaf_hash: str = Field(description="Hex RFC 9162 leaf hash of the entry.")
    root_hash: str = Field(description="Hex root of the tree that ends with this entry.")


class AuditPage(Open):
    items: list[AuditEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


class InclusionProof(Open):
    """RFC 9162 inclusion proof: the audit path of entry ``seq`` in the tree of ``tree_size``."""

    seq: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str] = Field(description="Hex node hashes, from the leaf up.")


class ConsistencyProof(Open):
    """RFC 9162 consistency proof: the tree of ``from_size`` entries is a prefix of the tree
    of ``to_size``."""

    from_size: int
    to_size: int
    from_root: str
    to_root: str
    proof: list[str] = Field(description="Hex node hashes.")
