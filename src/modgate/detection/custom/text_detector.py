"""The text ``custom`` detector: every live text custom-label head applied to a text's sentence
embedding (the shipped MiniLM's, one run per text), emitted with the offsets of the whole text.

Heads come from the same ``CustomLabelSource`` as the image detector's; a tenant's heads answer
only for that tenant's texts (``predict(texts, tenant)``; None: every tenant's, for operator
tools). Scores are the heads' calibrated probabilities; the text engine reports them 0–100.
"""

from __future__ import annotations

from collections.abc import Sequence

from modgate.detection.custom.detector import CustomLabelSource, LiveHead, SourceWatch
from modgate.detection.custom.embedders import make_embedder
from modgate.detection.text.base import TextDetector, TextEvidence, TextOutput
from modgate.detection.text.normalize import NormalisedText


class CustomTextDetector(TextDetector):
    """Live text custom-label heads over sentence embeddings."""

    name = "custom"
    version = "1"

    def setup(self) -> None:
        self._watch = SourceWatch()

    def use_source(self, source: CustomLabelSource | None) -> None:
        self._watch.use(source)

    def heads_of(self, tenant: str | None) -> list[LiveHead]:
        return [
            head
            for head in self._watch.heads()
            if head.head.kind == "text" and (tenant is None or head.tenant == tenant)
        ]

    def predict(
        self, texts: Sequence[NormalisedText], tenant: str | None = None
    ) -> list[TextOutput]:
        outputs = [TextOutput() for _ in texts]
        heads = self.heads_of(tenant)
        for name in sorted({head.head.backbone for head in heads}):
            rows = make_embedder("text", name).embed([text.text for text in texts])
            for live in (head for head in heads if head.head.backbone == name):
                for output, text, probability in zip(
                    outputs, texts, live.head.probabilities(rows), strict=True
                ):
                    output.labels.append(
                        TextEvidence(live.label, float(probability), 0, len(text.text), self.name)
                    )
        return outputs
