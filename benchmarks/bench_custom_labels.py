"""Custom labels: training time for 1,000 images, and what the ``custom`` detector costs per image.

Prints figures; asserts nothing. Run on the machine being sized::

    python benchmarks/bench_custom_labels.py [--images 1000] [--heads 1]

1. Training: ``--images`` pictures (half crops of sample photos, half generated abstract art)
   → embeddings (EfficientNet-Lite0's pooled features, one model run each) → a cross-validated,
   calibrated head. Seconds for each step, and the model card's cross-validated figures.
2. Inference: the ``custom`` detector's ``predict`` per image when the backbone already ran for
   the image (the ``imagenet`` detector read it first: only the heads are left), with
   ``--heads`` live heads; target ≤ 1 ms. For comparison, the backbone's own run per image.
3. Text: a text label trained on 200 generated messages (MiniLM sentence embeddings), and the
   text ``custom`` detector's cost per message (its own embedding run included: no other text
   detector computes one).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from custom_label_corpus import TRAINING_SCENES, abstract_art, photo_crops  # noqa: E402
from modgate.detection.backbones import backbone  # noqa: E402
from modgate.detection.custom.detector import CustomDetector, LiveHead  # noqa: E402
from modgate.detection.custom.embedders import make_embedder  # noqa: E402
from modgate.detection.custom.text_detector import CustomTextDetector  # noqa: E402
from modgate.detection.custom.training import train_head  # noqa: E402
from modgate.detection.frames import PreparedImage  # noqa: E402
from modgate.detection.text.normalize import normalise  # noqa: E402
from text_label_corpus import CHAT, SCAM, messages  # noqa: E402


class Heads:
    def __init__(self, heads: list[LiveHead]) -> None:
        self.heads = heads

    def live_stamp(self) -> str:
        return "bench"

    def live_heads(self) -> list[LiveHead]:
        return self.heads

    def known_labels(self) -> list[tuple[str, str | None]]:
        return [(head.label, head.parent) for head in self.heads]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--heads", type=int, default=1)
    arguments = parser.parse_args()
    half = arguments.images // 2
    per_scene = -(-half // len(TRAINING_SCENES))
    photos = photo_crops(TRAINING_SCENES, per_scene, seed=1)[:half]
    art = abstract_art(half, seed=2)

    embedder = make_embedder("image", "efficientnet_lite0", threads=1)
    started = time.perf_counter()
    positives, negatives = embedder.embed(photos), embedder.embed(art)
    embedding = time.perf_counter() - started
    started = time.perf_counter()
    result = train_head(positives, negatives, kind="image", backbone="efficientnet_lite0")
    training = time.perf_counter() - started
    print(f"training on {2 * half} images (one thread):")
    print(f"  embeddings   {embedding:7.1f} s  ({embedding / (2 * half) * 1000:.1f} ms/image)")
    print(f"  head + 5-fold cross-validation + calibration {training:7.1f} s")
    print(f"  total        {embedding + training:7.1f} s")
    print(f"  cross-validated: {result.head.card['cross_validation']}")

    heads = [
        LiveHead(f"Bench Label {index}", None, 1, "default", result.head)
        for index in range(arguments.heads)
    ]
    detector = CustomDetector()
    detector.setup()
    detector.use_source(Heads(heads))
    shared = backbone("efficientnet_lite0", 1)
    pictures = [PreparedImage(picture, 224) for picture in (photos[:50] + art[:50])]
    backbone_times, head_times = [], []
    for picture in pictures:
        started = time.perf_counter()
        shared.run([picture])  # what the imagenet detector does first
        backbone_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        detector.predict([picture])
        head_times.append(time.perf_counter() - started)
    print(f"inference per image, {arguments.heads} live head(s), median of {len(pictures)}:")
    print(
        f"  custom detector, backbone already run: {statistics.median(head_times) * 1000:.3f} ms"
        " (target <= 1 ms)"
    )
    print(
        f"  the backbone's own run (shared with imagenet): "
        f"{statistics.median(backbone_times) * 1000:.1f} ms"
    )
    print(f"  p95 custom detector: {float(np.percentile(head_times, 95)) * 1000:.3f} ms")
    bench_text()


def bench_text() -> None:
    embedder = make_embedder("text", "minilm")
    started = time.perf_counter()
    positives = embedder.embed(messages(SCAM, 100, seed=1))
    negatives = embedder.embed(messages(CHAT, 100, seed=2))
    trained = train_head(positives, negatives, kind="text", backbone="minilm")
    print(
        f"text: 200 messages trained in {time.perf_counter() - started:.1f} s "
        f"(cross-validated f1 {trained.metrics.f1:.3f})"
    )
    detector = CustomTextDetector()
    detector.setup()
    detector.use_source(Heads([LiveHead("Bench Text", None, 1, "default", trained.head)]))
    texts = [normalise(text) for text in messages(SCAM + CHAT, 100, seed=3)]
    times = []
    for text in texts:
        started = time.perf_counter()
        detector.predict([text])
        times.append(time.perf_counter() - started)
    print(
        f"  text custom detector per message (embedding included): "
        f"{statistics.median(times) * 1000:.2f} ms median"
    )


if __name__ == "__main__":
    main()
