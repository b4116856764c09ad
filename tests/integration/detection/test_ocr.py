"""OCR: text is found on a printed page; a photo without text stops after detection."""

from __future__ import annotations

import pytest
from PIL import Image

from modgate.detection.detectors.ocr import TextDetector
from modgate.detection.frames import PreparedImage

pytestmark = pytest.mark.skipif(
    bool(TextDetector.missing_requirements()), reason="modgate[ocr] not installed"
)


@pytest.fixture(scope="module")
def ocr() -> TextDetector:
    detector = TextDetector(threads=1)
    detector.setup()
    return detector


def test_text_on_a_page_is_read_in_rekognition_shape(ocr: TextDetector) -> None:
    from skimage import data

    output = ocr.predict([PreparedImage(Image.fromarray(data.page()))])[0]
    text = " ".join(item["DetectedText"] for item in output.text_detections)
    assert "markers" in text
    first = output.text_detections[0]
    box = first["Geometry"]["BoundingBox"]
    assert first["Type"] == "LINE" and 0 <= first["Confidence"] <= 100
    assert 0 <= box["Left"] <= 1 and 0 < box["Width"] <= 1
    assert output.raw["stages"] == ["detection", "recognition"]


def test_photo_without_text_pays_only_for_detection(ocr: TextDetector) -> None:
    from skimage import data

    output = ocr.predict([PreparedImage(Image.fromarray(data.astronaut()))])[0]
    assert output.text_detections == []
    assert output.raw["stages"] == ["detection"]
