"""Text in images with RapidOCR (PP-OCRv4 on onnxruntime, ``ocr`` extra) → ``TextDetections``.

Two stages: the text *detection* model runs on every image; recognition runs only on the boxes it
found (RapidOCR stops after detection when there is none), so an image without text pays for
detection alone. Results use the shape of Rekognition's
``DetectText`` (``DetectedText``, ``Type`` "LINE", ``Confidence`` 0–100, ``Geometry`` with a
relative ``BoundingBox`` and ``Polygon``). Off by default: enable it with
``MODGATE_DETECTION__ENABLED``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from modgate.detection.base import Detector, DetectorOptions, DetectorOutput
from modgate.detection.frames import PreparedImage

MAX_SIDE = 1280


class OcrOptions(DetectorOptions):
    """Options of the ``ocr`` detector."""

    min_text_confidence: float = 0.5


def to_text_detection(
    index: int, box: Any, text: str, score: float, width: int, height: int
) -> dict[str, Any]:
    """One recognised line in Rekognition's ``TextDetection`` shape (coordinates 0–1)."""
    points = np.asarray(box, dtype=np.float64)
    xs, ys = points[:, 0] / width, points[:, 1] / height
    return {
        "DetectedText": text,
        "Type": "LINE",
        "Id": index,
        "Confidence": round(100.0 * float(score), 4),
        "Geometry": {
            "BoundingBox": {
                "Width": float(xs.max() - xs.min()),
                "Height": float(ys.max() - ys.min()),
                "Left": float(xs.min()),
                "Top": float(ys.min()),
            },
            "Polygon": [{"X": float(x), "Y": float(y)} for x, y in zip(xs, ys, strict=True)],
        },
    }


class TextDetector(Detector):
    """Lines of text found in the image (no moderation label by itself)."""

    name = "ocr"
    version = "rapidocr-1.4.4.1"
    input_side = MAX_SIDE
    emits_text = True
    default_enabled = False
    requires = ("rapidocr_onnxruntime",)
    extra = "ocr"
    Options = OcrOptions

    def setup(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR(intra_op_num_threads=self.threads, inter_op_num_threads=1)
        self.lock = threading.Lock()

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        return [self._one(image) for image in images]

    def _one(self, image: PreparedImage) -> DetectorOutput:
        scale = min(1.0, MAX_SIDE / max(image.width, image.height))
        width, height = max(1, round(image.width * scale)), max(1, round(image.height * scale))
        bgr = np.ascontiguousarray(image.resized(width, height)[..., ::-1])
        with self.lock:  # RapidOCR keeps per-call state on the instance
            # RapidOCR returns right after its detection model when no text box is found.
            lines, _ = self.engine(bgr, use_cls=False)
        if not lines:
            return DetectorOutput(raw={"stages": ["detection"]})
        options: Any = self.options
        detections = [
            to_text_detection(index, box, text, float(score), width, height)
            for index, (box, text, score) in enumerate(lines)
            if float(score) >= options.min_text_confidence
        ]
        return DetectorOutput(
            text_detections=detections, raw={"stages": ["detection", "recognition"]}
        )
