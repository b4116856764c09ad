"""Small numeric helpers shared by the built-in ONNX detectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from modgate.detection.frames import PreparedImage
from modgate.detection.runtime import MODELS_DIR

__all__ = ["MODELS_DIR", "softmax", "stack_resized"]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, numerically stable."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def stack_resized(images: Sequence[PreparedImage], size: int) -> np.ndarray:
    """A float32 NHWC batch of the images stretched to ``size`` × ``size``, values 0–255."""
    return np.stack([image.resized(size, size) for image in images]).astype(np.float32)
