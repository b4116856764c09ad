"""Videos read where they are stored: remote backends that analyse a whole video in S3
(Rekognition's ``StartContentModeration``) instead of being sent its sampled frames.

When a surface's cascade rule sends every item of a video remote (``always``, or a label no
local model covers) and the video is in an S3 bucket the backend can read, the pipeline detects
the sampled frames with the local detectors (and any remote backend that only takes frames) and
asks the stored-video backends for the whole video at once: one job per video instead of one
request per frame. Their findings become timeline entries beside the local ones, each lasting
until the backend's next timestamp, at most one sampling interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from modgate.detection.fusion import fuse_outputs
from modgate.detection.remote.base import RemoteDetector, StoredVideoResult
from modgate.detection.remote.usage import RemoteUsage
from modgate.taxonomy.detections import TimelineEntry


def timeline_entries(
    result: StoredVideoResult, model_version: str, step_ms: int, duration_ms: int | None
) -> list[TimelineEntry]:
    """A stored-video result as timeline entries (labels fused with their ancestors)."""
    entries: list[TimelineEntry] = []
    stamps = [stamp for stamp, _ in result.samples]
    end_of_video = duration_ms or result.duration_ms or None
    for index, (stamp, output) in enumerate(result.samples):
        end = stamp + step_ms
        if index + 1 < len(stamps):
            end = min(end, stamps[index + 1])
        if end_of_video:
            end = min(end, end_of_video)
        end = max(end, stamp + 1)
        found = fuse_outputs([output], model_version).detections
        entries.extend(
            TimelineEntry(stamp, end, label, found.content_types) for label in found.labels
        )
    return entries


class StoredVideoReader:
    """The stored-video backends one surface's rule asks, and what they find."""

    def __init__(
        self,
        backends: Sequence[RemoteDetector],
        model_version: str,
        usage: RemoteUsage,
        surface: str | None,
    ) -> None:
        self.backends = list(backends)
        self.model_version = model_version
        self.usage = usage
        self.surface = surface

    def entries(
        self,
        bucket: str,
        key: str,
        step_ms: int,
        duration_ms: int | None,
        samples: int,
        progress: Callable[[], None] | None = None,
    ) -> list[TimelineEntry]:
        """Every backend's findings in ``s3://bucket/key``; ``samples``: how many frames the
        local detectors looked at (all of them count as sent remote); ``progress`` is called
        while a backend's job runs."""
        found: list[TimelineEntry] = []
        for backend in self.backends:
            result = backend.moderate_stored_video(bucket, key, progress)
            found.extend(timeline_entries(result, self.model_version, step_ms, duration_ms))
        self.usage.cascade_items(self.surface, 0, samples)
        return found
