"""What a custom label is trained on: the embedding one shipped model gives of an item.

An ``Embedder`` turns items (images or texts) into L2-normalised rows. Image embedders are the
shipped backbones' pooled features (``modgate.detection.backbones``), computed exactly as the
``custom`` detector sees them at run time, so training and inference read the same numbers.
Text embedders register themselves in ``TEXT_EMBEDDERS`` by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from PIL import Image

from modgate.detection.backbones import BACKBONES, backbone
from modgate.detection.custom.head import Kind
from modgate.detection.frames import PreparedImage
from modgate.detection.text.embedding import shared_embedder
from modgate.errors import InvalidCustomLabelException

DEFAULT_BACKBONES: dict[Kind, str] = {"image": "efficientnet_lite0", "text": "minilm"}
BATCH = 16


class Embedder(Protocol):
    """Items of one kind → an ``[n, d]`` array of L2-normalised embeddings."""

    kind: Kind
    name: str

    def embed(self, items: Sequence[Any]) -> np.ndarray: ...


class ImageEmbedder:
    """A shipped backbone's pooled features of PIL images."""

    kind: Kind = "image"

    def __init__(self, name: str, threads: int = 1) -> None:
        self.name = name
        self.backbone = backbone(name, threads)

    def embed(self, items: Sequence[Any]) -> np.ndarray:
        rows = []
        for start in range(0, len(items), BATCH):
            chunk = [_prepared(item) for item in items[start : start + BATCH]]
            rows.append(self.backbone.features(chunk))
        return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def _prepared(item: Image.Image | PreparedImage) -> PreparedImage:
    return item if isinstance(item, PreparedImage) else PreparedImage(item, 224)


class SentenceEmbeddings:
    """The shipped MiniLM's sentence embeddings of texts (384 numbers, L2-normalised)."""

    kind: Kind = "text"
    name = "minilm"

    def embed(self, items: Sequence[Any]) -> np.ndarray:
        return shared_embedder().embed([str(item) for item in items])


TEXT_EMBEDDERS: dict[str, Callable[[], Embedder]] = {"minilm": SentenceEmbeddings}


def embedder_names(kind: Kind) -> list[str]:
    return sorted(BACKBONES) if kind == "image" else sorted(TEXT_EMBEDDERS)


def make_embedder(kind: Kind, name: str | None = None, threads: int = 1) -> Embedder:
    """The embedder ``name`` of ``kind`` (default: that kind's default backbone)."""
    chosen = name or DEFAULT_BACKBONES[kind]
    if kind == "image" and chosen in BACKBONES:
        return ImageEmbedder(chosen, threads)
    if kind == "text" and chosen in TEXT_EMBEDDERS:
        return TEXT_EMBEDDERS[chosen]()
    raise InvalidCustomLabelException(
        f"no {kind} backbone called {chosen!r}; available: "
        f"{', '.join(embedder_names(kind)) or 'none installed'}"
    )
