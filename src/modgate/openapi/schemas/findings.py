"""What the detectors found in one item, in Amazon's shapes: Rekognition's moderation labels
and content types (a still image's, or timed over a video), and Comprehend's toxicity labels and
personal data over a text."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from modgate.openapi.schemas.base import Open


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
