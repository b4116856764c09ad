"""The cascade inside the engine, with a local and a remote detector that need no network:
which items go remote per rule, the model version that names the rule, the counters, and
rules refused at start."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from PIL import Image

from modgate.detection.base import Detector, DetectorOutput, Evidence
from modgate.detection.engine import DetectionEngine
from modgate.detection.frames import PreparedImage
from modgate.detection.registry import available_detectors, select_detectors
from modgate.detection.remote.base import RemoteDetector
from modgate.detection.remote.usage import RemoteUsage
from modgate.detection.settings import CascadeRule, DetectionSettings
from modgate.errors import SettingsError


class Shade(Detector):
    """Local: the red channel (0–255) as the probability of Weapons."""

    name = "shade"
    version = "1"
    labels = ("Weapons",)

    def setup(self) -> None:
        pass

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        return [
            DetectorOutput([Evidence("Weapons", image.array()[0, 0, 0] / 255, self.name)])
            for image in images
        ]


class Oracle(RemoteDetector):
    """Remote: always sees a swastika; remembers how many images it was sent."""

    name = "oracle"
    version = "2"
    labels = ("Nazi Party",)
    sent = 0

    def setup(self) -> None:
        pass

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        def ask() -> list[DetectorOutput]:
            type(self).sent += len(images)
            return [DetectorOutput([Evidence("Nazi Party", 0.95, self.name)]) for _ in images]

        return self.caller.call(ask, images=len(images))


def frames(*reds: int) -> list[Image.Image]:
    return [Image.new("RGB", (64, 64), (red, 0, 0)) for red in reds]


def engine(rules: dict[str, dict[str, object]], usage: RemoteUsage) -> DetectionEngine:
    Oracle.sent = 0
    cascade = {surface: CascadeRule.model_validate(rule) for surface, rule in rules.items()}
    detectors = [Shade(), Oracle(usage=usage)]
    return DetectionEngine(detectors, threads=2, cascade=cascade, usage=usage)


def names(result: object) -> set[str]:
    return {label.name for label in result.labels}  # type: ignore[attr-defined]


def test_only_uncertain_items_go_remote_and_their_evidence_is_fused() -> None:
    usage = RemoteUsage()
    with engine({"chat": {"band": [20, 80]}}, usage) as loaded:
        # red 0 → 0 %, 128 → 50 % (uncertain), 250 → 98 %
        low, unsure, high = loaded.for_surface("chat").detect_frames(frames(0, 128, 250))
    assert Oracle.sent == 1
    assert "Nazi Party" in names(unsure) and "Nazi Party" not in names(low) | names(high)
    assert "Weapons" in names(unsure)
    assert usage.snapshot().cascade["chat"] == (3, 1)
    assert usage.snapshot().backend("oracle", "images") == 1


def test_a_needed_label_no_local_model_covers_sends_every_item() -> None:
    usage = RemoteUsage()
    rules = {"profile": {"labels": ["Hate Symbols"]}, "shop": {"labels": ["Violence"]}}
    with engine(rules, usage) as loaded:
        loaded.for_surface("profile").detect_frames(frames(0, 250))
        assert Oracle.sent == 2
        loaded.for_surface("shop").detect_frames(frames(0, 250))  # Weapons covers Violence
        assert Oracle.sent == 2
    snapshot = usage.snapshot()
    assert snapshot.remote_share("profile") == 1.0 and snapshot.remote_share("shop") == 0.0


def test_without_rules_every_item_goes_remote_and_never_keeps_it_local() -> None:
    usage = RemoteUsage()
    with engine({}, usage) as loaded:
        loaded.detect_frames(frames(0))
        assert Oracle.sent == 1
        assert loaded.model_version == "7.0+fusion1:shade-1,oracle-2"
    with engine({"*": {"remote": "never"}}, usage) as loaded:
        assert "Nazi Party" not in names(loaded.detect_frames(frames(0))[0])
        assert Oracle.sent == 0
        assert loaded.model_version == "7.0+fusion1:shade-1"


def test_the_model_version_names_the_rule() -> None:
    usage = RemoteUsage()
    rules = {"*": {"band": [20, 80]}, "kids": {"band": [5, 95]}, "chat": {"remote": "never"}}
    with engine(rules, usage) as loaded:
        default = loaded.for_surface("comments").model_version
        assert default == loaded.model_version
        assert default.startswith("7.0+fusion1:shade-1,oracle-2+cascade:")
        assert loaded.for_surface("kids").model_version not in (default, "7.0+fusion1:shade-1")
        assert loaded.for_surface("chat").model_version == "7.0+fusion1:shade-1"
        result = loaded.for_surface("kids").detect_frames(frames(0))[0]
        assert result.model_version == loaded.for_surface("kids").model_version


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"labels": ["Hate Simbols"]}, "Hate Symbols"),
        ({"backends": ["rekognition"]}, "not enabled remote detectors"),
    ],
)
def test_a_bad_rule_is_refused_at_start(rule: dict[str, object], problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        engine({"profile": rule}, RemoteUsage())


def test_a_bad_band_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="band"):
        DetectionSettings(cascade={"*": {"band": [80, 20]}})


def test_remote_backends_are_registered_and_off_by_default() -> None:
    assert {"rekognition", "openai_guard"} <= set(available_detectors())
    chosen = {cls.name for cls in select_detectors(DetectionSettings())}
    assert not chosen & {"rekognition", "openai_guard"}


def test_describe_marks_remote_backends() -> None:
    with engine({}, RemoteUsage()) as loaded:
        assert {item["name"]: item["remote"] for item in loaded.describe()} == {
            "shade": False,
            "oracle": True,
        }
