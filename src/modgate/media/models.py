"""Facts about one piece of media, found from its bytes (never from its name or Content-Type)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

MediaKind = Literal["image", "video", "text"]


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What intake learned about a file. ``format`` is the real container/codec family."""

    kind: MediaKind
    format: str  # JPEG, PNG, WEBP, GIF, BMP, TIFF, AVIF, MP4, MOV, WEBM, MKV, AVI
    mime: str
    size_bytes: int
    sha256: str
    width: int
    height: int
    frame_count: int | None = None
    duration_seconds: float | None = None
    codec: str | None = None
    frame_rate: float | None = None
    animated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """Intake limits; defaults are at least as generous as Amazon Rekognition's."""

    max_image_bytes: int = 15 * 1024 * 1024
    max_image_side: int = 10_000
    max_image_pixels: int = 100_000_000
    # Width × height × frames of an animated or multi-page image: bounds the decoding work of
    # a frame bomb (a small file of many frames on a huge canvas). 30 s of 720p at 15 fps is
    # 0.41 billion.
    max_animation_pixels: int = 1_000_000_000
    min_image_side: int = 16
    # A comment, a caption, a message: Amazon Comprehend's limit for toxicity detection is
    # 10 KB a segment and 100 KB a request; 64 KiB keeps one text's detection well under a
    # second whatever it holds.
    max_text_bytes: int = 64 * 1024
    max_video_bytes: int = 10 * 1024**3
    max_video_seconds: float = 6 * 3600
    # Decoding work of a video grows with its frame size and its frame count. The defaults admit
    # 8K (7680 × 4320) and portrait 4K60 phone video, and 240 fps slow motion.
    max_video_side: int = 7680
    max_video_fps: float = 240.0
    # None: as many frames as the longest video at the highest rate (6 h × 240 fps).
    max_video_frames: int | None = None

    @property
    def max_upload_bytes(self) -> int:
        return max(self.max_image_bytes, self.max_video_bytes)

    @property
    def video_frame_limit(self) -> int:
        """The most frames a video may have: ``max_video_frames`` or, unset, the longest video
        at the highest frame rate."""
        if self.max_video_frames is not None:
            return self.max_video_frames
        return int(self.max_video_seconds * self.max_video_fps)

    @classmethod
    def from_settings(cls, settings: Any) -> MediaLimits:
        return cls(
            max_image_bytes=settings.max_image_bytes,
            max_image_side=settings.max_image_side,
            max_image_pixels=settings.max_image_pixels,
            max_animation_pixels=settings.max_animation_pixels,
            min_image_side=settings.min_image_side,
            max_text_bytes=settings.max_text_bytes,
            max_video_bytes=settings.max_video_bytes,
            max_video_seconds=settings.max_video_seconds,
            max_video_side=settings.max_video_side,
            max_video_fps=settings.max_video_fps,
            max_video_frames=settings.max_video_frames,
        )
