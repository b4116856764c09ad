"""nsfwjs's MobileNetV2 (converted to ONNX, shipped in ``detection/models``) → content types and
explicit/suggestive evidence.

Five classes: Drawing, Hentai, Neutral, Porn, Sexy. Drawing → ``Illustrated`` and Hentai →
``Animated`` content types; Porn and Hentai → ``Explicit``; Sexy (revealing clothing, suggestive
poses) → the ``Non-Explicit Nudity of Intimate parts and Kissing`` L1, capped at 70 because the
class mixes swimwear, lingerie and implied nudity.
"""

from __future__ import annotations

from collections.abc import Sequence

from modgate.detection.backbones import backbone
from modgate.detection.base import Calibration, Detector, DetectorOutput, Evidence
from modgate.detection.frames import PreparedImage

CLASSES = ("Drawing", "Hentai", "Neutral", "Porn", "Sexy")
EXPLICIT = Calibration(((0.0, 0.0), (0.3, 0.1), (0.6, 0.55), (0.9, 0.9), (1.0, 0.97)))
SUGGESTIVE = Calibration(((0.0, 0.0), (0.5, 0.25), (0.9, 0.65), (1.0, 0.7)))
CONTENT = Calibration(((0.0, 0.0), (1.0, 1.0)))
SUGGESTIVE_LABEL = "Non-Explicit Nudity of Intimate parts and Kissing"


class NsfwjsDetector(Detector):
    """Drawing/Hentai/Neutral/Porn/Sexy → ContentTypes and Explicit / suggestive evidence."""

    name = "nsfwjs"
    version = "4.4.0-mobilenet_v2.1"
    input_side = 224
    labels = ("Explicit", SUGGESTIVE_LABEL)
    content_types = ("Animated", "Illustrated")

    def setup(self) -> None:
        # Shared with the ``custom`` detector, which reads the same run's pooled features.
        self.backbone = backbone("mobilenet_v2", self.threads)

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        probabilities = [output.scores for output in self.backbone.run(images)]
        explicit = self.calibration(EXPLICIT)
        outputs = []
        for row in probabilities:
            scores = dict(zip(CLASSES, (float(value) for value in row), strict=True))
            outputs.append(
                DetectorOutput(
                    evidence=[
                        Evidence(
                            "Explicit",
                            explicit(scores["Porn"] + scores["Hentai"]),
                            self.name,
                            "Porn+Hentai",
                            whole_image=True,
                        ),
                        Evidence(
                            SUGGESTIVE_LABEL,
                            SUGGESTIVE(scores["Sexy"]),
                            self.name,
                            "Sexy",
                            whole_image=True,
                        ),
                    ],
                    content_types=[
                        Evidence("Illustrated", CONTENT(scores["Drawing"]), self.name, "Drawing"),
                        Evidence("Animated", CONTENT(scores["Hentai"]), self.name, "Hentai"),
                    ],
                    raw=scores,
                )
            )
        return outputs
