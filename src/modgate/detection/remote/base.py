"""``RemoteDetector``: a detector plugin whose model runs elsewhere, behind the outbound guard
and the shared discipline (``modgate.detection.remote.discipline``).

The engine runs local detectors on every item and remote ones only where the cascade sends an
item (``modgate.detection.cascade``). A remote detector's ``model_tag`` names the remote model
as well as the adapter (``openai_guard-1/qwen2.5-vl-7b/…``), so stored detections and
``ModerationModelVersion`` say which model answered.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from modgate.detection.base import Detector, DetectorOutput
from modgate.detection.frames import PreparedImage
from modgate.detection.remote.discipline import RemoteCaller, RemoteOptions
from modgate.detection.remote.usage import RemoteUsage
from modgate.outbound import OutboundGuard, OutboundPolicy


@dataclass(frozen=True)
class StoredVideoResult:
    """What a backend found in a stored video: evidence per timestamp (ms), in order; the
    backend's job id and model version, and the video's length."""

    job_id: str
    duration_ms: int
    samples: tuple[tuple[int, DetectorOutput], ...]
    model_version: str


class RemoteDetector(Detector):
    """Base class of remote backends.

    Lifecycle as ``Detector``'s, plus: ``__init__`` also takes the process's ``OutboundGuard``
    (the engine passes it; without one only public addresses are allowed) and the ``RemoteUsage``
    counters; ``setup`` checks the configured endpoint against the guard and builds the client;
    ``predict`` sends each image through ``self.caller.call`` so timeouts, retries, the circuit
    breaker, the concurrency limit and the cost counters apply to every request.
    """

    Options: ClassVar[type[RemoteOptions]] = RemoteOptions
    default_enabled = False
    input_side = 512  # as large as the default local detectors decode: no extra decoding cost

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        threads: int = 1,
        *,
        outbound: OutboundGuard | None = None,
        usage: RemoteUsage | None = None,
    ) -> None:
        super().__init__(options, threads)
        self.outbound = outbound or OutboundGuard(OutboundPolicy())
        self.caller = RemoteCaller(self.name, self.remote_options, usage)

    @property
    def remote_options(self) -> RemoteOptions:
        options = self.options
        assert isinstance(options, RemoteOptions)
        return options

    def jpeg(self, image: PreparedImage, quality: int = 90) -> bytes:
        """The image as JPEG, its longest side at most ``image_side`` pixels."""
        picture = image.image
        side = self.remote_options.image_side
        if max(picture.size) > side:
            picture = picture.copy()
            picture.thumbnail((side, side))
        out = io.BytesIO()
        picture.save(out, format="JPEG", quality=quality)
        return out.getvalue()

    @property
    def reads_stored_videos(self) -> bool:
        """Does this backend read a whole video where it is stored (S3) instead of its frames
        (``moderate_stored_video``)?"""
        return False

    def moderate_stored_video(
        self, bucket: str, key: str, progress: Callable[[], None] | None = None
    ) -> StoredVideoResult:
        """What the backend finds in the video at ``s3://bucket/key`` (``reads_stored_videos``
        backends only); ``progress`` is called now and then while it waits."""
        raise NotImplementedError(f"detector {self.name!r} does not read stored videos")
