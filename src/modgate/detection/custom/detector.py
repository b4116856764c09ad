"""The ``custom`` detector: every live custom-label head applied to the image's embeddings.

Heads come from a ``CustomLabelSource`` the composition root hands the engine (the stored,
live versions); the detector asks it for a cheap ``stamp`` at most every ``refresh_seconds`` and
reloads the heads when it changed, so a label trained or retrained elsewhere reaches every
worker without a restart. A tenant's heads answer only for that tenant's items (the engine
marks each image with its tenant), and add a tag of their versions to the model version those
detections are stored under. Each head reads the pooled features of its backbone, computed once
per image and shared with the detector that reads the same run's class scores (``imagenet``,
``nsfwjs``): with that detector enabled, a head costs one dot product. The labels are
registered in the process's taxonomy (``register_custom_labels``) under their parents, so
fusion, policies and the Rekognition answer treat them like v7 labels.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from modgate.detection.backbones import backbone
from modgate.detection.base import Detector, DetectorOptions, DetectorOutput, Evidence
from modgate.detection.custom.head import LinearHead
from modgate.detection.frames import PreparedImage
from modgate.taxonomy import register_custom_labels

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveHead:
    """A custom label's version that answers: its name, place in the tree and weights."""

    label: str
    parent: str | None
    version: int
    tenant: str
    head: LinearHead


class CustomLabelSource(Protocol):
    """Where the live heads are kept (``modgate.labels.store.SqlCustomLabelStore``)."""

    def live_stamp(self) -> str:
        """Changes whenever a label is added or its live head changes (cheap: asked often)."""
        ...

    def live_heads(self) -> list[LiveHead]: ...

    def known_labels(self) -> list[tuple[str, str | None]]:
        """Every stored custom label as ``(name, parent)``, live or not yet."""
        ...


class SourceWatch:
    """The live heads of a ``CustomLabelSource``, reloaded when its stamp changed, looked at
    no more often than every ``refresh_seconds`` (shared by the image and text detectors)."""

    def __init__(
        self, refresh_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._source: CustomLabelSource | None = None
        self._heads: list[LiveHead] = []
        self._stamp = ""
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def use(self, source: CustomLabelSource | None) -> None:
        """Read live heads from ``source`` (None: none); loads them now."""
        with self._lock:
            self._source, self._stamp, self._heads = source, "", []
            self._checked = float("-inf")
        self.heads()

    def heads(self) -> list[LiveHead]:
        source = self._source
        if source is None:
            return []
        with self._lock:
            now = self.clock()
            if now - self._checked >= self.refresh_seconds:
                self._checked = now
                stamp = source.live_stamp()
                if stamp != self._stamp:
                    heads = source.live_heads()
                    register_custom_labels(source.known_labels())
                    self._heads, self._stamp = heads, stamp
                    logger.info("custom labels live: %s", [h.label for h in heads])
            return self._heads


class CustomOptions(DetectorOptions):
    refresh_seconds: float = 30.0


class CustomDetector(Detector):
    """Live custom-label heads over the shipped backbones' pooled features."""

    name = "custom"
    version = "1"
    input_side = 224
    Options = CustomOptions

    def setup(self) -> None:
        refresh = self.options.refresh_seconds  # type: ignore[attr-defined]
        self.watch = SourceWatch(float(refresh))

    def use_source(self, source: CustomLabelSource | None) -> None:
        """Read live heads from ``source`` (None: answer nothing); loads them now."""
        self.watch.use(source)

    def heads(self) -> list[LiveHead]:
        """The live heads, reloaded when the source's stamp changed since the last look."""
        return self.watch.heads()

    def heads_of(self, tenant: str | None) -> list[LiveHead]:
        """The live image heads that answer for ``tenant`` (None: every tenant's, for operator
        tools such as ``modgate scan``)."""
        return [
            head
            for head in self.heads()
            if head.head.kind == "image" and (tenant is None or head.tenant == tenant)
        ]

    def version_tag(self, tenant: str | None) -> str:
        """What ``tenant``'s live heads add to the model version (empty without any): stored
        detections made with one set of heads are never reused under another."""
        heads = self.heads_of(tenant)
        if not heads:
            return ""
        names = "\n".join(sorted(f"{head.label}\t{head.version}" for head in heads))
        digest = hashlib.sha256(f"{tenant}\n{names}".encode()).hexdigest()[:12]
        return f"+custom.{digest}"

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        outputs = []
        for image in images:
            output = DetectorOutput()
            heads = self.heads_of(image.tenant)
            for name in sorted({head.head.backbone for head in heads}):
                features = backbone(name, self.threads).features([image])
                for live in (head for head in heads if head.head.backbone == name):
                    probability = float(live.head.probabilities(features)[0])
                    output.evidence.append(
                        Evidence(live.label, probability, self.name, f"v{live.version}")
                    )
            outputs.append(output)
        return outputs
