"""Text a picture shows reaches the policy: a generated clip with a phrase on screen from 2 s to
4 s, read by OCR at one sample a second, found abusive by the text detectors and blocked by the
seed policy's text rule, the match naming the samples' times; and the same for a still image."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from modgate.detection.detectors.ocr import TextDetector
from modgate.detection.engine import DetectionEngine
from modgate.detection.timeline import Sampling, detect_timeline
from modgate.policy import evaluate, load_policy
from video_corpus import clip_bytes

pytestmark = pytest.mark.skipif(
    bool(TextDetector.missing_requirements()), reason="modgate[ocr] not installed"
)
SEED = Path(__file__).resolve().parents[3] / "policies" / "seed.yaml"


def frame(text: str = "") -> np.ndarray:
    image = Image.new("RGB", (480, 270), (255, 255, 255))
    if text:
        font = ImageFont.load_default(size=48)
        ImageDraw.Draw(image).text((30, 100), text, fill=(0, 0, 0), font=font)
    return np.asarray(image)


@pytest.fixture(scope="module")
def engine() -> Iterator[DetectionEngine]:
    with DetectionEngine([TextDetector(threads=1)], threads=2) as loaded:
        yield loaded


def test_text_in_an_image_reaches_the_policy(engine: DetectionEngine) -> None:
    detections = engine.detect(Image.fromarray(frame("kill yourself")))
    (findings,) = detections.findings
    assert findings.source == "ocr" and findings.text == "kill yourself"
    decision = evaluate(load_policy(SEED), detections)
    assert (decision.action, decision.rule) == ("block", "text-hate-or-threat")
    assert not engine.detect(Image.fromarray(frame())).findings  # no text, nothing to read


def test_text_on_screen_reaches_the_policy_with_its_timestamps(
    engine: DetectionEngine, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(clip_bytes([frame()] * 20 + [frame("kill yourself")] * 20 + [frame()] * 10))
    found = detect_timeline(engine, clip, "video", Sampling(1.0))
    shown = {f.timestamp_ms: f for f in found.timeline.findings}
    assert sorted(shown) == [2000, 3000]
    assert all(f.source == "ocr" and f.text == "kill yourself" for f in shown.values())
    assert shown[2000].score("HARASSMENT_OR_ABUSE") >= 85
    decision = evaluate(load_policy(SEED), found.timeline)
    assert (decision.action, decision.rule) == ("block", "text-hate-or-threat")
    (match,) = [m for m in decision.matched if m.rule == "text-hate-or-threat"]
    assert match.timestamps == (2000, 3000)
    assert match.label == "HARASSMENT_OR_ABUSE"
