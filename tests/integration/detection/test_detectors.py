"""Every built-in detector on real photos: safe photos stay below 50 everywhere, known
positives get their label."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from modgate.detection.base import Detector
from modgate.detection.engine import DetectionEngine
from modgate.detection.frames import PreparedImage
from modgate.detection.registry import available_detectors
from modgate.taxonomy.rekognition_json import image_body

LABEL_DETECTORS = ["nudenet", "open_nsfw", "nsfwjs", "imagenet", "hands"]


@pytest.fixture(scope="module")
def loaded() -> dict[str, Detector]:
    detectors = {}
    for name in LABEL_DETECTORS:
        cls = available_detectors()[name]
        if cls.missing_requirements():
            continue
        detector = cls(threads=1)
        detector.setup()
        detectors[name] = detector
    return detectors


@pytest.mark.parametrize("name", LABEL_DETECTORS)
def test_detector_gives_no_strong_evidence_on_safe_photos(
    name: str, loaded: dict[str, Detector], safe_photos: dict[str, Image.Image]
) -> None:
    if name not in loaded:
        pytest.skip(f"{name} is not installed")
    detector = loaded[name]
    images = [PreparedImage(image) for image in safe_photos.values()]
    outputs = detector.predict(images)
    assert len(outputs) == len(images)
    for photo, output in zip(safe_photos, outputs, strict=True):
        strong = [
            (e.label, round(e.probability, 3)) for e in output.evidence if e.probability >= 0.5
        ]
        assert not strong, f"{name} on {photo}: {strong}"
        assert all(e.label in detector.labels for e in output.evidence)


def test_safe_photos_yield_no_label_at_50(
    engine: DetectionEngine, safe_photos: dict[str, Image.Image]
) -> None:
    results = engine.detect_frames(list(safe_photos.values()))
    for photo, result in zip(safe_photos, results, strict=True):
        assert image_body(result.detections, 50)["ModerationLabels"] == [], photo


def test_darknet_photos_yield_no_label_at_50(
    engine: DetectionEngine, darknet_photos: dict[str, Image.Image]
) -> None:
    for photo, image in darknet_photos.items():
        detections = engine.detect_image(image).detections
        assert image_body(detections, 50)["ModerationLabels"] == [], photo


def test_espresso_is_not_alcohol_but_the_model_sees_the_cup(
    loaded: dict[str, Detector], safe_photos: dict[str, Image.Image]
) -> None:
    output = loaded["imagenet"].predict([PreparedImage(safe_photos["skimage-coffee"])])[0]
    top_class, top_probability = output.raw["top5"][0]
    assert top_class == 967 and top_probability > 0.8  # espresso
    assert not [
        e for e in output.evidence if e.label == "Alcoholic Beverages" and e.probability >= 0.5
    ]


def test_a_cartoon_drawing_is_illustrated_not_a_photo(loaded: dict[str, Detector]) -> None:
    from skimage import data

    rocket_drawing = Image.fromarray(data.rocket()).quantize(6).convert("RGB")
    photo = loaded["nsfwjs"].predict([PreparedImage(Image.fromarray(data.astronaut()))])[0]
    assert photo.raw["Neutral"] > 0.9
    drawing = loaded["nsfwjs"].predict([PreparedImage(rocket_drawing)])[0]
    assert drawing.raw["Drawing"] > photo.raw["Drawing"]


def test_large_photos_are_resized_once_and_detected(
    engine: DetectionEngine, large_photo: Image.Image
) -> None:
    result = engine.detect_image(large_photo)
    assert image_body(result.detections, 50)["ModerationLabels"] == []


def test_cache_detects_the_same_bytes_once(
    engine: DetectionEngine, safe_photos: dict[str, Image.Image]
) -> None:
    image = safe_photos["skimage-chelsea"]
    first = engine.detect_image(image, sha256="f" * 64)
    second = engine.detect_image(image.rotate(90), sha256="f" * 64)
    assert second is first


def test_detect_frames_keeps_order_and_model_version(
    engine: DetectionEngine, safe_photos: dict[str, Image.Image]
) -> None:
    frames = [safe_photos["skimage-chelsea"], safe_photos["skimage-rocket"]]
    results = engine.detect_frames(frames)
    assert [r.model_version for r in results] == [engine.model_version] * 2
    assert engine.model_version.startswith("7.0+")
    assert all(f"{d.name}-{d.version}" in engine.model_version for d in engine.detectors)
    single = engine.detect_frames([frames[1]])[0]
    assert results[1].labels == single.labels


def test_video_frames_are_sampled_at_the_requested_rate(
    engine: DetectionEngine, tmp_path: Path
) -> None:
    from corpus import video_bytes

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(video_bytes("mp4", "libx264", seconds=3.0))
    timestamps = [
        timestamp
        for timestamp, result in engine.detect_video(str(clip), fps=1.0)
        if result.model_version == engine.model_version
    ]
    assert timestamps == [0, 1000, 2000]
    halves = [timestamp for timestamp, _ in engine.detect_video(str(clip), fps=2.0)]
    assert halves == [0, 500, 1000, 1500, 2000, 2500]
