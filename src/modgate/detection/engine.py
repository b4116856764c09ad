"""The detection engine: loads the detectors once, runs them concurrently, fuses their evidence.

``DetectionEngine.from_settings(settings)`` picks the detectors (entry points + settings),
loads every model at once — so a broken detector is reported at start, not on the first
request — and then serves ``detect`` (typed ``ImageDetections``, what the pipeline uses),
``detect_image`` (a ``DetectionResult``, cached by content hash) and ``detect_frames``. Each image
is decoded and resized once (``PreparedImage``); every (image, detector) pair is one task on a
thread pool sized to the cores, and each onnxruntime session uses one thread, so the cores stay
busy without oversubscription. Videos and animations: ``modgate.detection.timeline``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PIL import Image

from modgate.detection import video
from modgate.detection.base import Detector, DetectorOutput
from modgate.detection.cache import DetectionCache
from modgate.detection.frames import PreparedImage
from modgate.detection.fusion import FUSION_VERSION, fuse_content_types, fuse_labels
from modgate.detection.registry import build_detectors
from modgate.detection.result import DetectionResult
from modgate.detection.settings import DetectionSettings
from modgate.detection.text.engine import TextEngine
from modgate.errors import CorruptMediaException, DetectorLoadError, ModgateError
from modgate.taxonomy.detections import ContentType, ImageDetections, TextFindings, ranked_labels
from modgate.taxonomy.rekognition_json import text_line_from_json

if TYPE_CHECKING:
    from modgate.settings import Settings

logger = logging.getLogger(__name__)

TAXONOMY_VERSION = "7.0"


def fuse_outputs(outputs: Sequence[DetectorOutput], model_version: str) -> DetectionResult:
    """One image's detector outputs → a ``DetectionResult``."""
    evidence = [item for output in outputs for item in output.evidence]
    fused = fuse_labels(evidence)
    content = fuse_content_types(item for output in outputs for item in output.content_types)
    detections = ImageDetections(
        labels=ranked_labels({name: label.confidence for name, label in fused.items()}),
        content_types=tuple(
            ContentType(name, round(value, 4))
            for name, value in sorted(content.items(), key=lambda pair: -pair[1])
        ),
        text=tuple(
            text_line_from_json(item) for output in outputs for item in output.text_detections
        ),
        model_version=model_version,
    )
    content_evidence = [item for output in outputs for item in output.content_types]
    return DetectionResult(detections, tuple(evidence + content_evidence))


class DetectionEngine:
    """Loaded detectors plus the thread pool that runs them. One per process."""

    def __init__(
        self,
        detectors: Sequence[Detector],
        threads: int | None = None,
        cache: DetectionCache | None = None,
        text: TextEngine | None = None,
    ) -> None:
        """``text``: the text engine (default: every installed text detector)."""
        if not detectors:
            raise ModgateError("DetectionEngine needs at least one detector")
        self.detectors = list(detectors)
        self.threads = threads or os.cpu_count() or 1
        self.cache = cache
        self.model_version = f"{TAXONOMY_VERSION}+fusion{FUSION_VERSION}:" + ",".join(
            f"{detector.name}-{detector.version}" for detector in self.detectors
        )
        self.max_side = max(detector.input_side for detector in self.detectors)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="modgate-detect")
        self.load_seconds: dict[str, float] = {}
        self._load()
        self.text = text if text is not None else TextEngine.from_settings(DetectionSettings())

    @classmethod
    def from_settings(
        cls, settings: Settings, cache: DetectionCache | None = None
    ) -> DetectionEngine:
        """Pick, configure and load the detectors named by ``settings.detection``."""
        detection = settings.detection
        detectors = build_detectors(detection, threads_per_session=detection.session_threads)
        text = TextEngine.from_settings(detection)
        return cls(detectors, threads=detection.threads, cache=cache, text=text)

    def _load(self) -> None:
        def load(detector: Detector) -> float:
            started = time.perf_counter()
            try:
                detector.setup()
            except ModgateError:
                raise
            except Exception as exc:
                raise DetectorLoadError(
                    f"detector {detector.name!r} failed to load: {exc}. Disable it with "
                    f"MODGATE_DETECTION__DISABLED='[\"{detector.name}\"]' or reinstall it.",
                    detector=detector.name,
                ) from exc
            return time.perf_counter() - started

        futures = {detector.name: self._pool.submit(load, detector) for detector in self.detectors}
        for name, future in futures.items():
            self.load_seconds[name] = future.result()
        logger.info("detectors loaded: %s", self.model_version)

    def describe(self) -> list[dict[str, Any]]:
        """Name, version, labels and content types of each loaded detector."""
        return [
            {
                "name": d.name,
                "version": d.version,
                "labels": list(d.labels),
                "content_types": list(d.content_types),
                "text": d.emits_text,
            }
            for d in self.detectors
        ]

    def detect(self, image: Image.Image) -> ImageDetections:
        """What detection finds in one still image (the pipeline's entry point), with what
        the text detectors find in the text read in it."""
        detections = self.detect_frames([image])[0].detections
        if not detections.text:
            return detections
        read = "\n".join(line.text for line in detections.lines())
        return replace(detections, findings=(self.text.detect(read, "ocr"),))

    @property
    def text_model_version(self) -> str:
        return self.text.model_version

    def detect_text(
        self,
        texts: Sequence[str],
        source: str = "text",
        language: str | None = None,
        timestamps: Sequence[int | None] | None = None,
    ) -> list[TextFindings]:
        """What the text detectors find in each text (``TextEngine.detect_many``)."""
        return self.text.detect_many(texts, source, language, timestamps)

    def detect_image(self, image: Image.Image, sha256: str | None = None) -> DetectionResult:
        """Labels of one image; with ``sha256`` and a cache, the same bytes are detected once."""
        if sha256 and self.cache is not None:
            cached = self.cache.get(sha256, self.model_version)
            if cached is not None:
                return cached
        result = self.detect_frames([image])[0]
        if sha256 and self.cache is not None:
            self.cache.put(sha256, self.model_version, result)
        return result

    def detect_frames(self, frames: Sequence[Image.Image]) -> list[DetectionResult]:
        """Labels of each frame, in order. All (frame, detector) pairs run concurrently."""
        prepared = list(self._pool.map(self._prepare, frames))
        futures: list[list[Future[list[DetectorOutput]]]] = [
            [self._pool.submit(self._predict, detector, image) for detector in self.detectors]
            for image in prepared
        ]
        results = []
        for per_detector in futures:
            outputs = [future.result()[0] for future in per_detector]
            results.append(fuse_outputs(outputs, self.model_version))
        return results

    def detect_video(self, path: str, fps: float = 1.0) -> Iterator[tuple[int, DetectionResult]]:
        """Labels of frames sampled every ``1 / fps`` seconds, as ``(timestamp_ms, result)``
        (``modgate.detection.video.detect_video``)."""
        return video.detect_video(self, path, fps)

    def _prepare(self, frame: Image.Image) -> PreparedImage:
        try:
            return PreparedImage(frame, self.max_side)
        except (OSError, ValueError) as exc:
            raise CorruptMediaException(f"the image cannot be decoded: {exc}") from exc

    @staticmethod
    def _predict(detector: Detector, image: PreparedImage) -> list[DetectorOutput]:
        try:
            outputs = detector.predict([image])
        except ModgateError:
            raise
        except Exception as exc:
            raise ModgateError(
                f"detector {detector.name!r} failed: {exc}", detector=detector.name
            ) from exc
        if len(outputs) != 1:
            raise ModgateError(f"detector {detector.name!r} returned {len(outputs)} outputs for 1")
        return outputs

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> DetectionEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
