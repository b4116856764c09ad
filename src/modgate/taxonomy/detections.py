"""What detection found, as typed values: the shared vocabulary of detection, policy and review.

Detection produces these values, the policy engine reads them, the pipeline stores them and the
backtest replays them. An image gives ``ImageDetections`` (labels with their ancestors, content
types, lines of text); a video or an animation gives a ``Timeline`` (one ``TimelineEntry`` per
label per sample). ``Detections`` is either. Rekognition's JSON is read and written only at the
edges, by ``modgate.taxonomy.rekognition_json``; nothing here knows about it.

Confidences are 0–100 as Rekognition gives them; times are milliseconds from the start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from modgate.taxonomy.tree import Taxonomy, taxonomy_v7


@dataclass(frozen=True, slots=True)
class Label:
    """One moderation label. ``parent`` is ``""`` for a top-level label (Rekognition's
    ``ParentName``); ``parent`` and ``level`` are None when the source did not say."""

    name: str
    confidence: float
    parent: str | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True)
class ContentType:
    """What kind of picture it is (``Animated``, ``Illustrated``), with a confidence."""

    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """A box as fractions of the picture's width and height."""

    width: float
    height: float
    left: float
    top: float


@dataclass(frozen=True, slots=True)
class Point:
    """A point as fractions of the picture's width and height."""

    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Geometry:
    """Where a line of text is: its box and its outline."""

    box: BoundingBox | None = None
    polygon: tuple[Point, ...] | None = None


@dataclass(frozen=True, slots=True)
class TextLine:
    """Text found in the picture: a ``LINE`` or, when a detector gives them, a ``WORD`` of one
    (``parent_id`` names its line)."""

    text: str
    confidence: float = 100.0
    type: str = "LINE"
    id: int | None = None
    parent_id: int | None = None
    geometry: Geometry | None = None


# Amazon Comprehend's toxicity labels (``DetectToxicContent``); TOXICITY is the overall one.
TOXICITY_LABELS = (
    "PROFANITY",
    "HATE_SPEECH",
    "INSULT",
    "GRAPHIC",
    "HARASSMENT_OR_ABUSE",
    "SEXUAL",
    "VIOLENCE_OR_THREAT",
    "TOXICITY",
)
# Amazon Comprehend's names (``DetectPiiEntities``) of the personal data modgate finds.
PII_TYPES = (
    "EMAIL",
    "PHONE",
    "CREDIT_DEBIT_NUMBER",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "URL",
    "USERNAME",
)
# Where a text came from: a submitted text (a comment, a username …), an image's caption, or
# text read in an image or a video sample.
TEXT_SOURCES = ("text", "caption", "ocr")


@dataclass(frozen=True, slots=True)
class TextSpan:
    """``[begin, end)`` in characters of the original text."""

    begin: int
    end: int


@dataclass(frozen=True, slots=True)
class TextLabel:
    """A toxicity label of a text, its score (0–100) and the spans it rests on (none: the text
    as a whole)."""

    name: str
    score: float
    spans: tuple[TextSpan, ...] = ()


@dataclass(frozen=True, slots=True)
class PiiEntity:
    """Personal data in a text: its Comprehend type, score (0–100) and place in the original."""

    type: str
    score: float
    begin: int
    end: int


@dataclass(frozen=True, slots=True)
class TextFindings:
    """What the text detectors found in one text. ``text`` is the original, ``normalised`` what
    the detectors read (the same characters, unless normalisation changed some); offsets are
    into ``text``. ``timestamp_ms``: when a video showed it."""

    text: str
    source: str = "text"
    labels: tuple[TextLabel, ...] = ()
    entities: tuple[PiiEntity, ...] = ()
    normalised: str = ""
    language: str | None = None
    mixed_script: bool = False
    timestamp_ms: int | None = None

    def score(self, label: str) -> float:
        """The score of ``label`` (0 when absent)."""
        return next((item.score for item in self.labels if item.name == label), 0.0)

    @property
    def read(self) -> str:
        """The text as the detectors read it."""
        return self.normalised or self.text


@dataclass(frozen=True, slots=True)
class BankMatch:
    """The item matched content ``content_id`` of hash bank ``bank`` by ``signal_type`` at
    Hamming ``distance`` (0 for an exact MD5). ``negative``: the bank holds known-good content.
    ``share``: for a video's PDQ timeline, the share of its frames that matched (0–1)."""

    bank: str
    content_id: int
    distance: int
    signal_type: str
    negative: bool = False
    share: float | None = None


@dataclass(frozen=True, slots=True)
class ImageDetections:
    """What detection found in one still image, and the hash banks it matched.
    ``findings``: what the text detectors found in its caption and in the text read in it."""

    labels: tuple[Label, ...] = ()
    content_types: tuple[ContentType, ...] = ()
    text: tuple[TextLine, ...] = ()
    model_version: str = ""
    findings: tuple[TextFindings, ...] = ()
    bank_matches: tuple[BankMatch, ...] = ()

    def peak_labels(self) -> tuple[Label, ...]:
        """Each label once at its confidence (an image has each label once)."""
        return self.labels

    def lines(self) -> tuple[TextLine, ...]:
        """The lines of text (every item when the detector gave no ``LINE`` items)."""
        found = tuple(line for line in self.text if line.type == "LINE")
        return found or self.text


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One label of one sample, shown from ``start_ms`` to ``end_ms``. ``end_ms`` is None for a
    point sample whose length is not known (the policy's ``point_duration`` applies)."""

    start_ms: int
    end_ms: int | None
    label: Label
    content_types: tuple[ContentType, ...] = ()

    @property
    def until_ms(self) -> int:
        """Where the entry ends: ``end_ms``, or its start for a point sample."""
        return self.start_ms if self.end_ms is None else self.end_ms


@dataclass(frozen=True, slots=True)
class Unchecked:
    """What damage kept from view: milliseconds no decoded frame showed, the damaged packets,
    and the reason recorded with the decision."""

    unseen_ms: int
    damaged_packets: int
    reason: str


@dataclass(frozen=True, slots=True)
class Timeline:
    """What detection found in a video or an animation, sample by sample. ``thumbnails``: the
    blob keys of small copies of the flagged samples, by their time; ``bank_matches``: the hash
    banks the video matched."""

    entries: tuple[TimelineEntry, ...] = ()
    model_version: str = ""
    thumbnails: Mapping[int, str] = field(default_factory=dict)
    unchecked: Unchecked | None = None
    findings: tuple[TextFindings, ...] = ()
    bank_matches: tuple[BankMatch, ...] = ()

    def peak_labels(self) -> tuple[Label, ...]:
        """Each label once, at its highest confidence anywhere, in order of first appearance."""
        peaks: dict[str, Label] = {}
        for entry in self.entries:
            label = entry.label
            found = peaks.get(label.name)
            if found is None or label.confidence > found.confidence:
                peaks[label.name] = label
        return tuple(peaks.values())

    def flagged_timestamps(self, min_confidence: float) -> list[int]:
        """The start of every sample with a label at or above ``min_confidence``, in order."""
        return sorted({e.start_ms for e in self.entries if e.label.confidence >= min_confidence})

    def segments(self, min_confidence: float, gap_ms: int) -> tuple[TimelineEntry, ...]:
        """Entries of the same label at or above ``min_confidence`` merged into segments.

        Two entries of a label join when the later starts at most ``gap_ms`` after the earlier
        ends. A segment starts with its first entry (whose content types it keeps), ends with
        the end of its last, and has the highest confidence inside it. Segments are ordered by
        start, then label name.
        """
        by_label: dict[str, list[TimelineEntry]] = {}
        for entry in self.entries:
            if entry.label.confidence >= min_confidence:
                by_label.setdefault(entry.label.name, []).append(entry)
        merged: list[TimelineEntry] = []
        for items in by_label.values():
            items.sort(key=lambda e: e.start_ms)
            current = items[0]
            end, peak = current.until_ms, current.label.confidence
            for entry in items[1:]:
                if entry.start_ms <= end + gap_ms:
                    end = max(end, entry.until_ms)
                    peak = max(peak, entry.label.confidence)
                    continue
                merged.append(_segment(current, end, peak))
                current = entry
                end, peak = current.until_ms, current.label.confidence
            merged.append(_segment(current, end, peak))
        merged.sort(key=lambda s: (s.start_ms, s.label.name))
        return tuple(merged)


def _segment(first: TimelineEntry, end_ms: int, confidence: float) -> TimelineEntry:
    label = first.label
    if confidence != label.confidence:
        label = replace(label, confidence=confidence)
    return replace(first, end_ms=end_ms, label=label)


@dataclass(frozen=True, slots=True)
class TextDetections:
    """What detection found in a submitted text (a comment, a username, a message)."""

    findings: tuple[TextFindings, ...] = ()
    model_version: str = ""
    bank_matches: tuple[BankMatch, ...] = ()  # always empty: texts are not banked

    @property
    def labels(self) -> tuple[Label, ...]:
        """No image label: a text's labels are its findings'."""
        return ()

    def peak_labels(self) -> tuple[Label, ...]:
        return ()


Detections = ImageDetections | Timeline | TextDetections


def ranked_labels(
    confidences: Mapping[str, float], taxonomy: Taxonomy | None = None
) -> tuple[Label, ...]:
    """Labels from a name → confidence map (confidences rounded to 4 places), highest first,
    ties in tree order; names are made canonical."""
    tree = taxonomy or taxonomy_v7()
    order = {name: index for index, name in enumerate(tree.names)}
    names = sorted(confidences, key=lambda n: (-confidences[n], order[tree.canonical(n)]))
    out = []
    for name in names:
        node = tree.get(name)
        confidence = round(float(confidences[name]), 4)
        out.append(Label(node.name, confidence, node.parent_name, node.level))
    return tuple(out)
