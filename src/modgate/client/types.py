"""What the API answers, as typed dictionaries: the JSON the server sent, unchanged (a key a
newer server adds is there too), with the keys this version knows typed for mypy and editors.
The answer types are written from the OpenAPI document's schemas (``modgate.client.models``);
this module adds the client's own: ``Page`` and the webhook event. Times are ISO 8601 strings
in UTC; labels keep Amazon Rekognition's names and casing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypedDict, TypeVar

from modgate.client.models import (
    Action,
    Appeal,
    AuditEntry,
    Bank,
    BankContent,
    BankEntry,
    BankSignal,
    ConsistencyProof,
    ContentType,
    CustomLabelJob,
    Decision,
    Delivery,
    Health,
    InclusionProof,
    Match,
    Media,
    MediaErased,
    MediaKind,
    MediaUploaded,
    MetricsSummary,
    MetricsTuning,
    Moderation,
    ModerationBrief,
    ModerationLabel,
    ModerationStatus,
    QueueStats,
    ReviewState,
    Stream,
    StreamBrief,
    StreamGap,
    StreamModerationLabel,
    StreamSegment,
    StreamStatus,
    TimedLabel,
    VideoLabels,
    ViewerDecision,
    WebhookEndpoint,
    WebhookEndpointCreated,
)

# A context value: region, surface, audience, user state, local time …
ContextValue: TypeAlias = str | int | float | None
T = TypeVar("T")


class WebhookEvent(TypedDict):
    """The body of a webhook delivery (``verify_webhook`` returns it)."""

    id: int
    type: str
    created_at: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; ``next_cursor`` asks for the next (None on the last)."""

    items: list[T]
    next_cursor: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


__all__ = [
    "Action",
    "Appeal",
    "AuditEntry",
    "ConsistencyProof",
    "InclusionProof",
    "MetricsSummary",
    "MetricsTuning",
    "Bank",
    "CustomLabelJob",
    "BankContent",
    "BankEntry",
    "BankSignal",
    "ContentType",
    "ContextValue",
    "Decision",
    "Delivery",
    "Health",
    "Match",
    "Media",
    "MediaErased",
    "MediaKind",
    "MediaUploaded",
    "Moderation",
    "ModerationBrief",
    "ModerationLabel",
    "ModerationStatus",
    "Page",
    "QueueStats",
    "ReviewState",
    "TimedLabel",
    "Stream",
    "StreamBrief",
    "StreamGap",
    "StreamModerationLabel",
    "StreamSegment",
    "StreamStatus",
    "VideoLabels",
    "ViewerDecision",
    "WebhookEndpoint",
    "WebhookEndpointCreated",
    "WebhookEvent",
]
