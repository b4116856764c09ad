"""The text engine: normalises a text once, runs every text detector on it, fuses the evidence.

Detectors come from the ``modgate.text_detectors`` entry points, like image detectors (the
built-in ones are registered in modgate's own ``pyproject.toml``). Fusion: each toxicity label
takes the highest score any detector gave it, with the spans of every hit; the overall
``TOXICITY`` is the highest of the classifier's score and every other toxicity label's; custom
text labels (``modgate.detection.custom.text_detector``) are reported beside them. Scores leave as
0–100 and spans as offsets into the original text (``TextFindings``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from modgate.detection.custom.detector import CustomLabelSource
from modgate.detection.custom.text_detector import CustomTextDetector
from modgate.detection.plugins import load_plugins
from modgate.detection.settings import DetectionSettings
from modgate.detection.text.base import TextDetector, TextOutput
from modgate.detection.text.normalize import NormalisedText, normalise
from modgate.errors import DetectorLoadError, SettingsError
from modgate.taxonomy.detections import (
    TOXICITY_LABELS,
    PiiEntity,
    TextFindings,
    TextLabel,
    TextSpan,
)

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "modgate.text_detectors"
# Labels under this score (0–100) are not kept: as the image side's 1 % record floor.
RECORD_FLOOR = 1.0


def available_text_detectors() -> dict[str, type[TextDetector]]:
    """Every registered text detector class by name."""
    return load_plugins(ENTRY_POINT_GROUP, TextDetector, "text detector", "TextDetector")


def build_text_detectors(
    settings: DetectionSettings, registered: dict[str, type[TextDetector]] | None = None
) -> list[TextDetector]:
    """The text detectors to run (``text_enabled``/``text_disabled``), with their options."""
    registered = available_text_detectors() if registered is None else registered
    if not registered:
        # Texts would be decided on no evidence at all: an install that predates the text
        # detectors' entry points, most likely.
        raise SettingsError(
            "no text detector is installed (entry-point group modgate.text_detectors); "
            "reinstall modgate (pip install -e . in a checkout) so its built-in ones register"
        )
    names = [*(settings.text_enabled or []), *settings.text_disabled, *settings.text_options]
    for name in names:
        if name not in registered:
            raise SettingsError(
                f"MODGATE_DETECTION__TEXT_*: unknown text detector {name!r}; installed: "
                f"{', '.join(registered) or 'none (reinstall modgate: pip install -e .)'}"
            )
    chosen = []
    for name, detector_class in registered.items():
        if name in settings.text_disabled:
            continue
        if settings.text_enabled is not None and name not in settings.text_enabled:
            continue
        missing = detector_class.missing_requirements()
        if missing:
            logger.warning("text detector %s skipped: %s not installed", name, missing)
            continue
        chosen.append(detector_class(settings.text_options.get(name)))
    return chosen


class TextEngine:
    """Runs the text detectors; ``setup`` loads them once (the engine's ``setup`` calls it)."""

    def __init__(self, detectors: Sequence[TextDetector]) -> None:
        self.detectors = tuple(detectors)
        self.model_version = "text:" + ",".join(
            f"{detector.name}={detector.version}" for detector in self.detectors
        )

    @classmethod
    def from_settings(cls, settings: DetectionSettings) -> TextEngine:
        engine = cls(build_text_detectors(settings))
        engine.setup()
        return engine

    def use_custom_labels(self, source: CustomLabelSource | None) -> None:
        """Hand the text ``custom`` detector (when enabled) the live heads' source."""
        for detector in self.detectors:
            if isinstance(detector, CustomTextDetector):
                detector.use_source(source)

    def setup(self) -> None:
        for detector in self.detectors:
            try:
                detector.setup()
            except Exception as exc:
                raise DetectorLoadError(
                    f"text detector {detector.name!r} cannot load: {exc}", detector=detector.name
                ) from exc

    def detect(
        self,
        text: str,
        source: str = "text",
        language: str | None = None,
        timestamp_ms: int | None = None,
        tenant: str | None = None,
    ) -> TextFindings:
        """What the detectors find in one text."""
        return self.detect_many([text], source, language, [timestamp_ms], tenant)[0]

    def detect_many(
        self,
        texts: Sequence[str],
        source: str = "text",
        language: str | None = None,
        timestamps: Sequence[int | None] | None = None,
        tenant: str | None = None,
    ) -> list[TextFindings]:
        """What the detectors find in each text; one batch per detector. ``tenant``: whose
        texts these are (its custom labels answer; None: every tenant's)."""
        normalised = [normalise(text) for text in texts]
        outputs: list[list[TextOutput]] = [
            detector.predict(normalised, tenant)
            if isinstance(detector, CustomTextDetector)
            else detector.predict(normalised)
            for detector in self.detectors
            if detector.reads(language)
        ]
        stamps = list(timestamps or [None] * len(texts))
        return [
            _fused(text, [found[index] for found in outputs], source, language, stamps[index])
            for index, text in enumerate(normalised)
        ]


def merged(spans: Iterable[TextSpan]) -> tuple[TextSpan, ...]:
    """Spans in order, overlapping ones joined."""
    out: list[TextSpan] = []
    for span in sorted(spans, key=lambda s: (s.begin, s.end)):
        if out and span.begin < out[-1].end:
            out[-1] = TextSpan(out[-1].begin, max(out[-1].end, span.end))
        else:
            out.append(span)
    return tuple(out)


def _fused(
    text: NormalisedText,
    outputs: Sequence[TextOutput],
    source: str,
    language: str | None,
    timestamp_ms: int | None,
) -> TextFindings:
    scores: dict[str, float] = {}
    spans: dict[str, set[TextSpan]] = {}
    for output in outputs:
        for item in output.labels:
            scores[item.label] = max(scores.get(item.label, 0.0), item.score)
            if item.end > item.begin:
                span = TextSpan(*text.span_in_original(item.begin, item.end))
                spans.setdefault(item.label, set()).add(span)
    specific = [name for name in scores if name in TOXICITY_LABELS and name != "TOXICITY"]
    if specific:
        scores["TOXICITY"] = max(scores.get("TOXICITY", 0.0), *(scores[n] for n in specific))
        spans["TOXICITY"] = {span for name in specific for span in spans.get(name, ())}
    # Comprehend's labels in its order, then custom labels (never part of TOXICITY) by name.
    custom = sorted(name for name in scores if name not in TOXICITY_LABELS)
    labels = tuple(
        TextLabel(name, round(100.0 * scores[name], 2), merged(spans.get(name, ())))
        for name in (*TOXICITY_LABELS, *custom)
        if name in scores and 100.0 * scores[name] >= RECORD_FLOOR
    )
    entities = tuple(
        PiiEntity(
            item.type, round(100.0 * item.score, 2), *text.span_in_original(item.begin, item.end)
        )
        for output in outputs
        for item in output.entities
    )
    return TextFindings(
        text=text.original,
        source=source,
        labels=labels,
        entities=entities,
        normalised=text.text if text.text != text.original else "",
        language=language,
        mixed_script=text.mixed_script,
        timestamp_ms=timestamp_ms,
    )
