"""The text detector plugin contract, the twin of ``modgate.detection.base.Detector`` for text.

A text detector reads normalised text (``NormalisedText``) and returns *evidence*: toxicity
labels of Amazon Comprehend's taxonomy with a score (0–1) and the span it rests on, and PII
entities named as Comprehend's ``DetectPiiEntities`` names them. Spans are offsets into the
normalised text; the engine maps them back to the original. Detectors know nothing of policy.
"""

from __future__ import annotations

import abc
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from modgate.detection.text.normalize import NormalisedText
from modgate.errors import SettingsError
from modgate.taxonomy.detections import PII_TYPES, TOXICITY_LABELS


@dataclass(frozen=True, slots=True)
class TextEvidence:
    """A detector's belief (0–1) that ``label`` applies, resting on ``[begin, end)`` of the
    normalised text (an empty span: the text as a whole)."""

    label: str
    score: float
    begin: int = 0
    end: int = 0
    detector: str = ""


@dataclass(frozen=True, slots=True)
class PiiEvidence:
    """Personal data of ``type`` at ``[begin, end)`` of the normalised text."""

    type: str
    score: float
    begin: int
    end: int


@dataclass(slots=True)
class TextOutput:
    """Everything one text detector found in one text."""

    labels: list[TextEvidence] = field(default_factory=list)
    entities: list[PiiEvidence] = field(default_factory=list)


class TextDetectorOptions(BaseModel):
    """Options every text detector accepts (``MODGATE_TEXT__OPTIONS='{"name": {...}}'``)."""

    model_config = ConfigDict(extra="forbid")


class TextDetector(abc.ABC):
    """Base class of every text detector plugin.

    Lifecycle (the text engine drives it; one instance per process):

    1. ``__init__(options)`` — cheap; refuses bad options with a ``SettingsError``.
    2. ``setup()`` — once per process: load word lists or a model.
    3. ``predict(texts)`` — per batch, possibly from several threads: one ``TextOutput`` per
       text, same order.

    Required class attributes: ``name``, ``version`` (changes whenever outputs can change),
    ``labels`` (toxicity labels it can emit) and/or ``entities`` (PII types). Optional:
    ``languages`` (ISO 639-1 codes it understands; empty: any), ``requires``, ``Options``.

    Register it under the ``modgate.text_detectors`` entry-point group.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    labels: ClassVar[tuple[str, ...]] = ()
    entities: ClassVar[tuple[str, ...]] = ()
    languages: ClassVar[tuple[str, ...]] = ()
    requires: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type[TextDetectorOptions]] = TextDetectorOptions

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        try:
            self.options = self.Options(**dict(options or {}))
        except (ValidationError, TypeError, ValueError) as exc:
            raise SettingsError(
                f"MODGATE_TEXT__OPTIONS for text detector {self.name!r} is invalid: {exc}. "
                f"Accepted keys: {', '.join(self.Options.model_fields) or 'none'}."
            ) from exc
        unknown = (set(self.labels) - set(TOXICITY_LABELS)) | (set(self.entities) - set(PII_TYPES))
        if unknown:
            raise SettingsError(f"text detector {self.name!r} declares unknown labels {unknown}")

    @classmethod
    def missing_requirements(cls) -> list[str]:
        return [module for module in cls.requires if importlib.util.find_spec(module) is None]

    def reads(self, language: str | None) -> bool:
        """Whether this detector understands text in ``language`` (None: not said)."""
        if not self.languages or language is None:
            return True
        return language.split("-", 1)[0].lower() in self.languages

    @abc.abstractmethod
    def setup(self) -> None:
        """Load what the detector needs. Called once per process, before ``predict``."""

    @abc.abstractmethod
    def predict(self, texts: Sequence[NormalisedText]) -> list[TextOutput]:
        """One ``TextOutput`` per text, in order."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.version}>"
