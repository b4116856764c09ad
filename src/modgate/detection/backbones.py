"""The shipped image backbones, run once per image and shared by every detector that reads them.

EfficientNet-Lite0 (ImageNet) and nsfwjs's MobileNetV2 each give class scores *and* their pooled
features (1280 numbers, the ``features`` output added by ``scripts/convert_models.py features``).
A ``Backbone`` owns one onnxruntime session per process (``backbone(name, threads)``); its
``run(images)`` answers both outputs and keeps them on each ``PreparedImage``, so the detector
that reads the class scores (``imagenet``, ``nsfwjs``) and the one that reads the features
(``custom``) pay for one model run between them, whichever asks first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import onnxruntime

from modgate.detection.frames import PreparedImage
from modgate.detection.runtime import MODELS_DIR, create_session

FEATURE_SIZE = 1280


def _efficientnet_input(images: Sequence[PreparedImage]) -> np.ndarray:
    batch = (_stack(images) - 127.0) / 128.0
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))


def _mobilenet_input(images: Sequence[PreparedImage]) -> np.ndarray:
    return _stack(images) / 255.0


def _stack(images: Sequence[PreparedImage]) -> np.ndarray:
    return np.stack([image.resized(224, 224) for image in images]).astype(np.float32)


@dataclass(frozen=True, slots=True)
class BackboneSpec:
    """A shipped model: its file, how a batch is fed to it, and the detector that runs it."""

    name: str
    model_file: str
    feed: Callable[[Sequence[PreparedImage]], np.ndarray]
    detector: str


BACKBONES: dict[str, BackboneSpec] = {
    spec.name: spec
    for spec in (
        BackboneSpec(
            "efficientnet_lite0", "efficientnet_lite0.onnx", _efficientnet_input, "imagenet"
        ),
        BackboneSpec("mobilenet_v2", "nsfwjs_mobilenet_v2.onnx", _mobilenet_input, "nsfwjs"),
    )
}


@dataclass(frozen=True, slots=True)
class BackboneOutput:
    """One image's pass through a backbone: class scores and L2-normalised pooled features."""

    scores: np.ndarray
    features: np.ndarray


class Backbone:
    """One loaded backbone; ``run`` is safe from several threads and computes each image once."""

    def __init__(self, spec: BackboneSpec, session: onnxruntime.InferenceSession) -> None:
        self.spec = spec
        self.session = session

    @property
    def name(self) -> str:
        return self.spec.name

    def run(self, images: Sequence[PreparedImage]) -> list[BackboneOutput]:
        """Scores and features of each image. A single image is run once however many
        detectors ask at once; a batch runs the images not run yet in one call."""
        key = ("backbone", self.spec.name)
        if len(images) == 1:
            image = images[0]
            return [image.shared(key, lambda: self._compute([image])[0])]
        missing = [image for image in images if image.computed(key) is None]
        if missing:
            for image, output in zip(missing, self._compute(missing), strict=True):
                image.keep(key, output)
        return [image.computed(key) for image in images]

    def _compute(self, images: Sequence[PreparedImage]) -> list[BackboneOutput]:
        scores, features = self.session.run(None, {"input": self.spec.feed(images)})
        norms = np.linalg.norm(features, axis=1, keepdims=True)
        features = (features / np.maximum(norms, 1e-12)).astype(np.float32)
        return [BackboneOutput(row, vector) for row, vector in zip(scores, features, strict=True)]

    def features(self, images: Sequence[PreparedImage]) -> np.ndarray:
        """The ``[len(images), 1280]`` L2-normalised pooled features."""
        return np.stack([output.features for output in self.run(images)])


_loaded: dict[tuple[str, int], Backbone] = {}
_loading = threading.Lock()


def backbone(name: str, threads: int) -> Backbone:
    """The process's ``Backbone`` called ``name`` (loaded on first use, then shared)."""
    spec = BACKBONES[name]
    with _loading:
        found = _loaded.get((name, threads))
        if found is None:
            session = create_session(MODELS_DIR / spec.model_file, threads, spec.detector)
            found = _loaded[(name, threads)] = Backbone(spec, session)
        return found
