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
from modgate.detection.cascade import Cascade, SurfacePlan
from modgate.detection.custom.detector import CustomDetector, CustomLabelSource
from modgate.detection.frames import PreparedImage
from modgate.detection.fusion import FUSION_VERSION, fuse_outputs
from modgate.detection.registry import build_detectors
from modgate.detection.remote.base import RemoteDetector
from modgate.detection.remote.usage import RemoteUsage, remote_usage
from modgate.detection.result import DetectionResult
from modgate.detection.settings import CascadeRule, DetectionSettings
from modgate.detection.stored_video import StoredVideoReader
from modgate.detection.text.engine import TextEngine
from modgate.errors import CorruptMediaException, DetectorLoadError, ModgateError
from modgate.outbound import OutboundGuard, OutboundPolicy
from modgate.taxonomy.detections import ImageDetections, TextFindings

if TYPE_CHECKING:
    from modgate.settings import Settings

logger = logging.getLogger(__name__)

TAXONOMY_VERSION = "7.0"


class DetectionEngine:
    """Loaded detectors plus the thread pool that runs them. One per process."""

    def __init__(
        self,
        detectors: Sequence[Detector],
        threads: int | None = None,
        cache: DetectionCache | None = None,
        cascade: dict[str, CascadeRule] | None = None,
        usage: RemoteUsage | None = None,
        text: TextEngine | None = None,
        custom_labels: CustomLabelSource | None = None,
    ) -> None:
        """``text``: the text engine (default: every installed text detector);
        ``custom_labels``: where the ``custom`` detector finds the live custom-label heads."""
        if not detectors:
            raise ModgateError("DetectionEngine needs at least one detector")
        self.detectors = list(detectors)
        self.local = [d for d in self.detectors if not isinstance(d, RemoteDetector)]
        self.remote = [d for d in self.detectors if isinstance(d, RemoteDetector)]
        self.cascade = Cascade(cascade or {}, self.local, self.remote)
        self.usage = usage or remote_usage()
        self.threads = threads or os.cpu_count() or 1
        self.cache = cache
        self.model_version = self.version_of(self.cascade.plan(None))
        self.max_side = max(detector.input_side for detector in self.detectors)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="modgate-detect")
        # Remote requests wait on the network, not the cores: they get threads of their own (as
        # many as the backends' request slots), so a slow backend never holds up local models.
        self._remote_pool = ThreadPoolExecutor(
            max(1, sum(d.remote_options.concurrency for d in self.remote)),
            thread_name_prefix="modgate-remote",
        )
        self.load_seconds: dict[str, float] = {}
        self._load()
        self.text = text if text is not None else TextEngine.from_settings(DetectionSettings())
        self.use_custom_labels(custom_labels)

    def use_custom_labels(self, source: CustomLabelSource | None) -> None:
        """Hand the ``custom`` detectors (image and text, when enabled) the live custom-label
        heads' source."""
        for detector in self.detectors:
            if isinstance(detector, CustomDetector):
                detector.use_source(source)
        self.text.use_custom_labels(source)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        cache: DetectionCache | None = None,
        custom_labels: CustomLabelSource | None = None,
    ) -> DetectionEngine:
        """Pick, configure and load the detectors named by ``settings.detection``."""
        detection = settings.detection
        outbound = OutboundGuard(OutboundPolicy.from_settings(settings))
        detectors = build_detectors(
            detection, threads_per_session=detection.session_threads, outbound=outbound
        )
        text = TextEngine.from_settings(detection)
        return cls(
            detectors,
            threads=detection.threads,
            cache=cache,
            cascade=detection.cascade,
            text=text,
            custom_labels=custom_labels,
        )

    def version_of(self, plan: SurfacePlan) -> str:
        """The model version of detections made under ``plan``: the detectors that may answer
        (local ones, the plan's remote ones) and, for a cascade, its rule."""
        detectors = [*self.local, *(plan.remote if plan.rule.remote != "never" else ())]
        tags = ",".join(detector.model_tag for detector in detectors)
        suffix = plan.suffix if plan.rule.remote != "never" and plan.remote else ""
        return f"{TAXONOMY_VERSION}+fusion{FUSION_VERSION}:{tags}{suffix}"

    def for_surface(self, surface: str | None, tenant: str | None = None) -> SurfaceDetection:
        """Detection as ``surface``'s cascade rule asks for, for ``tenant``'s items (its
        custom labels answer, and tag the model version)."""
        plan = self.cascade.plan(surface)
        return SurfaceDetection(self, plan, self.version_of(plan) + self.custom_tag(tenant), tenant)

    def custom_tag(self, tenant: str | None) -> str:
        """What ``tenant``'s live custom labels add to the model version ("" without any)."""
        if tenant is None:
            return ""
        custom = [d for d in self.detectors if isinstance(d, CustomDetector)]
        return custom[0].version_tag(tenant) if custom else ""

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
        """Name, version, labels and content types of each loaded detector, and whether it is
        a remote backend (run where the cascade sends an item)."""
        return [
            {
                "name": d.name,
                "version": d.version,
                "labels": list(d.labels),
                "content_types": list(d.content_types),
                "text": d.emits_text,
                "remote": isinstance(d, RemoteDetector),
            }
            for d in self.detectors
        ]

    def for_stored_video(self) -> tuple[SurfaceDetection, StoredVideoReader | None]:
        """``SurfaceDetection.for_stored_video`` for surfaces without a rule of their own."""
        return self.for_surface(None).for_stored_video()

    def detect(self, image: Image.Image) -> ImageDetections:
        """What detection finds in one still image (surfaces without a cascade rule of their
        own; the pipeline detects through ``for_surface``), with what the text detectors find
        in the text read in it."""
        return self.with_text_read(self.detect_frames([image])[0].detections)

    def with_text_read(
        self, detections: ImageDetections, tenant: str | None = None
    ) -> ImageDetections:
        """``detections`` with what the text detectors find in the text read in the image."""
        if not detections.text:
            return detections
        read = "\n".join(line.text for line in detections.lines())
        return replace(detections, findings=(self.text.detect(read, "ocr", tenant=tenant),))

    @property
    def text_model_version(self) -> str:
        return self.text.model_version

    def detect_text(
        self,
        texts: Sequence[str],
        source: str = "text",
        language: str | None = None,
        timestamps: Sequence[int | None] | None = None,
        tenant: str | None = None,
    ) -> list[TextFindings]:
        """What the text detectors find in each text (``TextEngine.detect_many``)."""
        return self.text.detect_many(texts, source, language, timestamps, tenant)

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
        """Labels of each frame, in order (the default cascade rule)."""
        return self.detect_cascaded(frames, self.cascade.plan(None), self.model_version)

    def detect_cascaded(
        self,
        frames: Sequence[Image.Image],
        plan: SurfacePlan,
        model_version: str,
        tenant: str | None = None,
    ) -> list[DetectionResult]:
        """Labels of each frame: local detectors on all of them, the plan's remote detectors
        on those the plan sends. When the plan sends every frame, both start at once;
        otherwise the remote round starts when the local results are in. All (frame,
        detector) pairs of a round run concurrently."""
        prepared = list(self._pool.map(self._prepare, frames))
        for image in prepared:
            image.tenant = tenant
        asks = bool(plan.remote) and plan.rule.remote != "never"
        every = asks and (plan.sends_every_item or not self.local)
        early = self._submit(prepared, plan.remote, self._remote_pool) if every else None
        outputs = self._collect(self._submit(prepared, self.local, self._pool))
        sent: list[int] = []
        if early is not None:
            sent = list(range(len(prepared)))
            remote = self._collect(early)
        elif asks:
            sent = [
                index
                for index, found in enumerate(outputs)
                if plan.sends(fuse_outputs(found, model_version))
            ]
            chosen = [prepared[index] for index in sent]
            remote = self._collect(self._submit(chosen, plan.remote, self._remote_pool))
        else:
            remote = []
        for index, extra in zip(sent, remote, strict=True):
            outputs[index].extend(extra)
        if self.remote:
            self.usage.cascade_items(plan.surface, len(prepared), len(sent))
        return [fuse_outputs(found, model_version) for found in outputs]

    def _submit(
        self,
        prepared: Sequence[PreparedImage],
        detectors: Sequence[Detector],
        pool: ThreadPoolExecutor,
    ) -> list[list[Future[list[DetectorOutput]]]]:
        return [
            [pool.submit(self._predict, detector, image) for detector in detectors]
            for image in prepared
        ]

    @staticmethod
    def _collect(
        futures: list[list[Future[list[DetectorOutput]]]],
    ) -> list[list[DetectorOutput]]:
        return [[future.result()[0] for future in per_detector] for per_detector in futures]

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
        self._remote_pool.shutdown(wait=True)
        for detector in self.remote:
            detector.close()

    def __enter__(self) -> DetectionEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SurfaceDetection:
    """The engine seen from one surface: detection as that surface's cascade rule asks for,
    under the model version that names the rule (what ``DetectionEngine.for_surface`` gives)."""

    def __init__(
        self,
        engine: DetectionEngine,
        plan: SurfacePlan,
        model_version: str,
        tenant: str | None = None,
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.model_version = model_version
        self.tenant = tenant
        self.max_side = engine.max_side

    def detect(self, image: Image.Image) -> ImageDetections:
        detections = self.detect_frames([image])[0].detections
        return self.engine.with_text_read(detections, self.tenant)

    def detect_frames(self, frames: Sequence[Image.Image]) -> list[DetectionResult]:
        return self.engine.detect_cascaded(frames, self.plan, self.model_version, self.tenant)

    @property
    def text_model_version(self) -> str:
        return self.engine.text_model_version

    def detect_text(
        self,
        texts: Sequence[str],
        source: str = "text",
        language: str | None = None,
        timestamps: Sequence[int | None] | None = None,
    ) -> list[TextFindings]:
        return self.engine.detect_text(texts, source, language, timestamps, self.tenant)

    def for_surface(self, surface: str | None, tenant: str | None = None) -> SurfaceDetection:
        return self.engine.for_surface(surface, tenant or self.tenant)

    def for_stored_video(self) -> tuple[SurfaceDetection, StoredVideoReader | None]:
        """For a video in S3: the view that detects its sampled frames, and the backends that
        read the whole video instead of its frames (None: the frames go to every backend)."""
        plan = self.plan
        readers = (
            tuple(d for d in plan.remote if d.reads_stored_videos) if plan.sends_every_item else ()
        )
        if not readers:
            return self, None
        frames_plan = replace(plan, remote=tuple(d for d in plan.remote if d not in readers))
        reader = StoredVideoReader(readers, self.model_version, self.engine.usage, plan.surface)
        return SurfaceDetection(self.engine, frames_plan, self.model_version, self.tenant), reader
