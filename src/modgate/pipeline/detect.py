"""The detect stage of a job: typed detections of one stored item, and its flagged thumbnails.

Stored detections of the same bytes by the same detectors are reused (``reuse``); otherwise a
still image is decoded once (or taken from intake in this process, which decoded it already)
and detected, and a video or an animation becomes a timeline (``modgate.detection.timeline``)
whose flagged samples are stored as thumbnails for the review lane. Everything this stage hands
on is typed (``Detections``); the stored form is written by the decision's transaction.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from modgate.detection.stored_video import StoredVideoReader
from modgate.detection.timeline import DetectedTimeline, Sampling, detect_timeline
from modgate.detection.video import FrameDetector
from modgate.media.blobstore import BlobStore, readable_path
from modgate.media.previews import to_rgb
from modgate.media.s3_blobstore import S3BlobStore
from modgate.media.scale import draft_long_side
from modgate.media.service import MediaService
from modgate.media.store import MediaRecord
from modgate.pipeline.settings import PipelineSettings
from modgate.taxonomy.detections import (
    BankMatch,
    Detections,
    ImageDetections,
    TextDetections,
    TextFindings,
    Timeline,
)
from modgate.taxonomy.rekognition_json import stored_detections_from_json
from modgate.telemetry import instruments

THUMBNAIL_SIDE = 320
FLAG_FLOOR = 50.0


class MediaDetector(FrameDetector, Protocol):
    """What a job needs of the detection engine (``DetectionEngine`` is one): still images
    detected one at a time, frames in batches for timelines, and the same as one surface's
    cascade rule asks for (``for_surface``: its ``model_version`` names the rule)."""

    def detect(self, image: Image.Image) -> ImageDetections: ...

    @property
    def text_model_version(self) -> str: ...

    def for_surface(self, surface: str | None, tenant: str | None = None) -> MediaDetector: ...

    def for_stored_video(self) -> tuple[MediaDetector, StoredVideoReader | None]: ...


@dataclass(frozen=True, slots=True)
class Detected:
    """The detections of one item. ``frame``: the decoded still image (its previews are made
    from it); ``fresh``: detected by this run, so they are to be stored."""

    detections: Detections
    frame: Image.Image | None = None
    fresh: bool = True
    # Findings of this request alone (an image's caption): decided on, never stored with the
    # bytes' detections, which another request of the same bytes may reuse.
    apart: tuple[TextFindings, ...] = ()

    @property
    def decided_on(self) -> Detections:
        """What the policy decides on: the detections with the request's own findings."""
        if not self.apart:
            return self.detections
        return replace(self.detections, findings=self.detections.findings + self.apart)


class DetectStage:
    """Detects stored media; stores the thumbnails of flagged timeline samples."""

    def __init__(self, media: MediaService, blobs: BlobStore, settings: PipelineSettings) -> None:
        self.media = media
        self.blobs = blobs
        self.sampling = Sampling(
            settings.video_fps,
            settings.scene_threshold,
            FLAG_FLOOR,
            THUMBNAIL_SIDE,
            settings.reuse_threshold,
        )

    @staticmethod
    def reuse(stored: Mapping[str, Any] | None) -> Detected | None:
        """Detections stored before for the same bytes and detectors (as the job read them),
        or None."""
        if stored is None:
            return None
        return Detected(stored_detections_from_json(stored), fresh=False)

    @staticmethod
    def with_matches(detected: Detected, matches: tuple[BankMatch, ...]) -> Detected:
        """``detected`` with the item's hash-bank matches among its detections."""
        if not matches:
            return detected
        return replace(detected, detections=replace(detected.detections, bank_matches=matches))

    @staticmethod
    def with_caption(
        engine: MediaDetector, detected: Detected, context: Mapping[str, Any]
    ) -> Detected:
        """``detected`` with what the text detectors find in the caption ``context`` carries
        (kept apart from the stored detections)."""
        caption = context.get("caption")
        if not caption:
            return detected
        found = engine.detect_text([str(caption)], "caption", context.get("language"))
        return replace(detected, apart=tuple(found))

    def detect(
        self,
        engine: MediaDetector,
        record: MediaRecord,
        progress: Callable[[], None] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Detected:
        """The detections of ``record`` (a text in the ``language`` its ``context`` names).
        ``progress`` is called after each sample of a video or an animation. The time it took
        goes to ``modgate_detection_seconds``."""
        started = time.monotonic()
        try:
            return self._detect(engine, record, progress, context)
        finally:
            instruments().detection_seconds.observe(time.monotonic() - started)

    def _detect(
        self,
        engine: MediaDetector,
        record: MediaRecord,
        progress: Callable[[], None] | None,
        context: Mapping[str, Any] | None,
    ) -> Detected:
        info = record.info
        if info.kind == "text":
            text = self.media.read_text(record)
            language = (context or {}).get("language")
            findings = tuple(engine.detect_text([text], "text", language))
            # Stored like any detections (decisions for viewers and backtests replay them),
            # under a version that names the language: the same text read as another
            # language is another result.
            version = engine.text_model_version + (f";language={language}" if language else "")
            return Detected(TextDetections(findings, version))
        handoff = self.media.handoff
        frame = handoff.take(info.sha256, engine.max_side) if handoff is not None else None
        if frame is not None:  # intake in this process decoded it already
            return Detected(engine.detect(frame), frame)
        with readable_path(self.blobs, record.blob_key) as path:
            if info.kind == "video":
                found = self._video(engine, record, path, progress)
            elif info.animated:
                # Animated GIF/WebP/APNG, multi-page TIFF: the frame on screen at each sampling
                # time and frames after a scene change, like video.
                found = detect_timeline(engine, path, "animation", self.sampling, progress=progress)
            else:
                frame = _decoded(path, engine.max_side)
                return Detected(engine.detect(frame), frame)
        return Detected(self._with_thumbnails(info.sha256, found))

    def _video(
        self,
        engine: MediaDetector,
        record: MediaRecord,
        path: Path,
        progress: Callable[[], None] | None,
    ) -> DetectedTimeline:
        """A video's timeline. Backends that read whole stored videos, when the surface sends
        every item to them and the video is in S3, get the video rather than its frames."""
        duration_ms = round((record.info.duration_seconds or 0) * 1000) or None
        frames_engine, reader = engine.for_stored_video()
        if reader is None or not isinstance(self.blobs, S3BlobStore):
            frames_engine, reader = engine, None
        samples = 0

        def counted() -> None:
            nonlocal samples
            samples += 1
            if progress is not None:
                progress()

        found = detect_timeline(
            frames_engine, path, "video", self.sampling, duration_ms=duration_ms, progress=counted
        )
        if reader is None or not isinstance(self.blobs, S3BlobStore):
            return found
        bucket, key = self.blobs.location(record.blob_key)
        step_ms = round(1000 / self.sampling.fps)
        remote = reader.entries(bucket, key, step_ms, duration_ms, samples, progress)
        entries = sorted((*found.timeline.entries, *remote), key=lambda entry: entry.start_ms)
        return replace(found, timeline=replace(found.timeline, entries=tuple(entries)))

    def _with_thumbnails(self, sha256: str, found: DetectedTimeline) -> Timeline:
        """The timeline with the blob keys of its flagged samples' thumbnails, stored now."""
        keys: dict[int, str] = {}
        for stamp in found.timeline.flagged_timestamps(FLAG_FLOOR):
            image = found.flagged.get(stamp)
            if image is None:
                continue
            thumb = image.copy()
            thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            out = io.BytesIO()
            thumb.convert("RGB").save(out, format="JPEG", quality=80)
            key = f"thumbnails/{sha256[:2]}/{sha256}/{stamp}.jpg"
            self.blobs.put_bytes(key, out.getvalue(), "image/jpeg")
            keys[stamp] = key
        return replace(found.timeline, thumbnails=keys)


def _decoded(path: Path, side: int | None) -> Image.Image:
    """The still image at ``path``, decoded (JPEGs only as large as the detectors need)."""
    with Image.open(path) as image:
        draft_long_side(image, side)
        image.load()  # decode while the file is open
        return to_rgb(image)
