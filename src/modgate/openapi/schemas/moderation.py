"""A moderation as the API answers it (``/v1/moderations``, Rekognition's video answers): the
policy's decision and its matches, hash-bank matches, the brief list form and the full form that
gathers media, findings, decision and review."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from modgate.openapi.schemas.base import Action, MediaKind, ModerationStatus, Open
from modgate.openapi.schemas.findings import ContentType, ModerationLabel, TextFindings, TimedLabel
from modgate.openapi.schemas.media import Media
from modgate.openapi.schemas.review import ReviewState


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
