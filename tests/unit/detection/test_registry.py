"""Choosing and configuring detectors from settings; the in-memory cache."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from modgate.detection.base import Detector, DetectorOutput
from modgate.detection.cache import InMemoryDetectionCache
from modgate.detection.engine import DetectionEngine
from modgate.detection.frames import PreparedImage
from modgate.detection.registry import available_detectors, select_detectors
from modgate.detection.result import DetectionResult
from modgate.detection.settings import DetectionSettings
from modgate.errors import DetectorLoadError, SettingsError
from modgate.taxonomy.detections import ImageDetections


def test_builtins_are_registered_through_entry_points() -> None:
    assert {"nudenet", "open_nsfw", "nsfwjs", "imagenet", "hands", "ocr"} <= set(
        available_detectors()
    )


def test_default_set_leaves_ocr_off() -> None:
    names = [cls.name for cls in select_detectors(DetectionSettings())]
    assert "ocr" not in names and "imagenet" in names


def test_enabled_and_disabled() -> None:
    chosen = select_detectors(
        DetectionSettings(enabled=["imagenet", "nsfwjs"], disabled=["nsfwjs"])
    )
    assert [cls.name for cls in chosen] == ["imagenet"]


def test_unknown_detector_name_is_refused_with_the_installed_list() -> None:
    with pytest.raises(SettingsError, match="imagenet"):
        select_detectors(DetectionSettings(enabled=["imagenett"]))


def test_bad_option_is_refused_at_construction() -> None:
    cls = available_detectors()["imagenet"]
    with pytest.raises(SettingsError, match="Accepted keys"):
        cls({"treshold": 0.5})


class Missing(Detector):
    name = "missing"
    version = "1"
    requires = ("a_module_that_is_not_installed",)
    extra = "missing"

    def setup(self) -> None: ...

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        return [DetectorOutput() for _ in images]


def test_enabled_detector_without_its_extra_fails_at_start_with_the_fix() -> None:
    registered = {**available_detectors(), "missing": Missing}
    with pytest.raises(DetectorLoadError, match=r"modgate\[missing\]"):
        select_detectors(DetectionSettings(enabled=["missing"]), registered)
    names = [cls.name for cls in select_detectors(DetectionSettings(), registered)]
    assert "missing" not in names


class Broken(Missing):
    name = "broken"
    requires = ()

    def setup(self) -> None:
        raise OSError("model file unreadable")


def test_detector_that_fails_to_load_is_reported_when_the_engine_starts() -> None:
    with pytest.raises(DetectorLoadError, match="broken.*model file unreadable"):
        DetectionEngine([Broken()], threads=1)


def test_cache_is_keyed_by_hash_and_model_version_and_bounded() -> None:
    cache = InMemoryDetectionCache(max_entries=2)
    result = DetectionResult(ImageDetections(model_version="v1"))
    cache.put("a", "v1", result)
    assert cache.get("a", "v1") is result
    assert cache.get("a", "v2") is None
    cache.put("b", "v1", result)
    cache.put("c", "v1", result)
    assert cache.get("a", "v1") is None and len(cache) == 2
