"""A backbone runs once per image however many detectors read it: the ``imagenet`` detector's
class scores and the ``custom`` detector's features come from one model run, even when both
ask at the same time, and the features are those the shipped model computes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from modgate.detection.backbones import Backbone, backbone
from modgate.detection.custom.detector import CustomDetector, LiveHead
from modgate.detection.custom.head import LinearHead
from modgate.detection.detectors.imagenet import ImageNetDetector
from modgate.detection.frames import PreparedImage
from modgate.taxonomy import custom_labels, register_custom_labels


class Counting:
    """An onnxruntime session that counts its runs."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.runs = 0
        self.lock = threading.Lock()

    def run(self, *args: Any) -> Any:
        with self.lock:
            self.runs += 1
        return self.session.run(*args)


@pytest.fixture
def counted() -> Iterator[tuple[Backbone, Counting]]:
    loaded = backbone("efficientnet_lite0", 1)
    original = loaded.session
    counting = Counting(original)
    loaded.session = counting  # type: ignore[assignment]
    before = custom_labels()
    yield loaded, counting
    loaded.session = original
    register_custom_labels(before)


class Source:
    def __init__(self, head: LinearHead) -> None:
        self.head = head

    def live_stamp(self) -> str:
        return "1"

    def live_heads(self) -> list[LiveHead]:
        return [LiveHead("Gradient Art", None, 1, "default", self.head)]

    def known_labels(self) -> list[tuple[str, str | None]]:
        return [("Gradient Art", None)]


def test_imagenet_and_custom_share_one_run_per_image(counted: tuple[Backbone, Counting]) -> None:
    loaded, counting = counted
    weights = np.zeros(1280, dtype=np.float32)
    weights[0] = 50.0
    head = LinearHead("image", "efficientnet_lite0", weights, 0.0)
    imagenet, custom = ImageNetDetector(), CustomDetector()
    imagenet.setup()
    custom.setup()
    custom.use_source(Source(head))
    pictures = [
        PreparedImage(Image.linear_gradient("L").convert("RGB").rotate(angle), 224)
        for angle in (0, 90, 180)
    ]
    for picture in pictures:
        threads = [
            threading.Thread(target=detector.predict, args=([picture],))
            for detector in (imagenet, custom, imagenet, custom)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert counting.runs == len(pictures)

    [output] = custom.predict([pictures[0]])
    [evidence] = output.evidence
    features = loaded.features([pictures[0]])[0]
    assert evidence.label == "Gradient Art"
    assert evidence.probability == pytest.approx(float(head.probabilities(features[None])[0]))
    assert np.linalg.norm(features) == pytest.approx(1.0, abs=1e-5)
    assert counting.runs == len(pictures)  # still: the features were kept


def test_a_batch_runs_once_for_the_images_not_run_yet(counted: tuple[Backbone, Counting]) -> None:
    loaded, counting = counted
    pictures = [PreparedImage(Image.new("RGB", (64, 48), (i * 40, 90, 200)), 224) for i in range(3)]
    loaded.run(pictures[:1])
    outputs = loaded.run(pictures)
    assert counting.runs == 2 and len(outputs) == 3
    assert all(output.scores.shape == (1000,) for output in outputs)
