"""The detector plugin contract: a base class that documents its lifecycle, and what it returns.

A detector turns decoded images into *evidence*: calibrated probabilities (0–1) for taxonomy v7
labels and content types, plus optional text found in the image. It knows nothing about policy,
regions or thresholds; fusion (``modgate.detection.fusion``) combines the evidence of every
detector into one confidence per label.
"""

from __future__ import annotations

import abc
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from modgate.detection.frames import PreparedImage
from modgate.errors import SettingsError
from modgate.taxonomy import CONTENT_TYPES, taxonomy_v7


@dataclass(frozen=True, slots=True)
class Evidence:
    """One detector's belief that ``label`` (a v7 label or a content type) is present."""

    label: str
    probability: float
    detector: str
    source: str = ""  # the model output it came from, e.g. "FEMALE_BREAST_EXPOSED"


@dataclass(slots=True)
class DetectorOutput:
    """Everything one detector found in one image."""

    evidence: list[Evidence] = field(default_factory=list)
    content_types: list[Evidence] = field(default_factory=list)
    text_detections: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Calibration:
    """A monotone piecewise-linear map from a raw model score (0–1) to a probability (0–1).

    Knots are ``(raw, calibrated)`` pairs; scores between knots are interpolated. Each detector
    ships its own reviewed knots; settings may replace them (``calibration`` option).
    """

    knots: tuple[tuple[float, float], ...] = ((0.0, 0.0), (1.0, 1.0))

    def __post_init__(self) -> None:
        raws = [raw for raw, _ in self.knots]
        values = [value for _, value in self.knots]
        if len(self.knots) < 2 or raws != sorted(raws) or values != sorted(values):
            raise ValueError("calibration knots must be at least two increasing (raw, value) pairs")

    def __call__(self, score: float) -> float:
        raws = [raw for raw, _ in self.knots]
        values = [value for _, value in self.knots]
        return float(np.interp(score, raws, values))


class DetectorOptions(BaseModel):
    """Options every detector accepts (``MODGATE_DETECTION__OPTIONS='{"name": {...}}'``)."""

    model_config = ConfigDict(extra="forbid")

    calibration: list[tuple[float, float]] | None = None


class Detector(abc.ABC):
    """Base class of every detector plugin.

    Lifecycle (the engine drives it; one instance per process):

    1. ``__init__(options, threads)`` — cheap; validates options and refuses bad ones with a
       ``SettingsError`` that says how to fix them. Never loads a model.
    2. ``setup()`` — once per process, at start: load the model (an onnxruntime session sized by
       ``self.threads``). Raise ``DetectorLoadError`` with a fix when it cannot load; the engine
       calls ``setup`` of every detector before serving, so a broken one is reported at start.
    3. ``predict(images)`` — per batch, possibly from several threads at once: return one
       ``DetectorOutput`` per image, same order. Read pixels through ``PreparedImage`` methods
       (``resized``, ``letterboxed``, ``array``) so decode and resize are shared with the
       other detectors.
    4. ``close()`` — optional, when the engine stops: release what ``setup`` opened
       (connections of remote backends).

    Required class attributes: ``name`` (the registry key), ``version`` (changes whenever outputs
    can change; part of ``ModerationModelVersion``), ``labels`` (the v7 labels it can emit).
    Optional: ``content_types``, ``emits_text``, ``default_enabled``, ``requires`` (importable
    modules of an optional extra), ``extra`` (the pip extra that installs them), ``input_side``
    (the image is decoded at least this large for it), ``Options`` (a ``DetectorOptions``
    subclass).

    Example::

        class Stamp(Detector):
            name = "stamp"
            version = "1"
            labels = ("Gambling",)

            def setup(self) -> None:
                self.session = create_session(MODEL_PATH, self.threads)

            def predict(self, images):
                scores = self.session.run(None, {"x": batch(images)})[0]
                return [DetectorOutput([Evidence("Gambling", float(s), self.name)]) for s in scores]

    Register it under the ``modgate.detectors`` entry-point group:
    ``[project.entry-points."modgate.detectors"] stamp = "mypackage.stamp:Stamp"``.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    labels: ClassVar[tuple[str, ...]] = ()
    content_types: ClassVar[tuple[str, ...]] = ()
    emits_text: ClassVar[bool] = False
    default_enabled: ClassVar[bool] = True
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""
    input_side: ClassVar[int] = 320  # longest side, in pixels, of the input the model looks at
    Options: ClassVar[type[DetectorOptions]] = DetectorOptions

    def __init__(self, options: Mapping[str, Any] | None = None, threads: int = 1) -> None:
        try:
            self.options = self.Options(**dict(options or {}))
        except (ValidationError, TypeError, ValueError) as exc:
            raise SettingsError(
                f"MODGATE_DETECTION__OPTIONS for detector {self.name!r} is invalid: {exc}. "
                f"Accepted keys: {', '.join(self.Options.model_fields)}."
            ) from exc
        if threads < 1:
            raise SettingsError("MODGATE_DETECTION__THREADS must be at least 1")
        self.threads = threads
        tree = taxonomy_v7()
        for label in self.labels:
            tree.get(label)  # a typo in a plugin's label list fails here, with a suggestion
        unknown = set(self.content_types) - set(CONTENT_TYPES)
        if unknown:
            raise SettingsError(f"detector {self.name!r} declares unknown content types {unknown}")

    @classmethod
    def missing_requirements(cls) -> list[str]:
        """Modules this detector needs that are not installed."""
        return [module for module in cls.requires if importlib.util.find_spec(module) is None]

    @property
    def model_tag(self) -> str:
        """How this detector is named in ``ModerationModelVersion``: ``name-version`` (remote
        backends add the model that answers)."""
        return f"{self.name}-{self.version}"

    def calibration(self, default: Calibration) -> Calibration:
        """The calibration set in options, or the detector's reviewed default."""
        knots = self.options.calibration
        return Calibration(tuple(knots)) if knots else default

    @abc.abstractmethod
    def setup(self) -> None:
        """Load the model. Called once per process, before the first ``predict``."""

    @abc.abstractmethod
    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        """One ``DetectorOutput`` per image, in order."""

    def close(self) -> None:  # noqa: B027 - optional step of the lifecycle
        """Release what ``setup`` opened; the default has nothing to release."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.version}>"
