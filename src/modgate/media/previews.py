"""Reviewer renditions made at intake: a downscaled preview and a blurred one (JPEG).

Reviewers see the blurred rendition first and reveal the sharp one on purpose; the same blur
makes blurred flagged-moment thumbnails and the frames of a video's blurred proxy
(``modgate.media.proxy``). The blur radius
is given for a preview whose long side is ``max_side`` and scales with the actual size, so small
images are as unrecognisable as large ones.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
from PIL import ExifTags, Image, ImageFilter, ImageOps

from modgate.media.blobstore import BlobStore
from modgate.media.models import MediaInfo
from modgate.media.video_stream import DecodeStats, decode_frames, open_video, upright


@dataclass(frozen=True, slots=True)
class Previews:
    preview_jpeg: bytes
    blurred_jpeg: bytes


def to_rgb(image: Image.Image) -> Image.Image:
    """The image upright and in RGB: EXIF orientation applied, transparency flattened onto
    white. An image that already is both comes back as it is, without a copy (so load it first
    if its file is about to close)."""
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    if _has_alpha(image):
        rgb = _flatten(image.convert("RGBA"))
    elif image.mode != "RGB":
        rgb = _eight_bit(image).convert("RGB")
    else:
        rgb = image
    if orientation not in (None, 1):
        rgb.info["exif"] = image.info.get("exif", b"")
        rgb = ImageOps.exif_transpose(rgb)
    return rgb


def representative_frame(path: Path, info: MediaInfo) -> Image.Image:
    """The image itself (first frame if animated) or a video's first frame, as RGB, upright
    (EXIF orientation; a video's display rotation)."""
    if info.kind == "image":
        with Image.open(path) as image:
            image.seek(0)
            image.load()
            return to_rgb(image)
    with open_video(path) as container:
        stream = container.streams.video[0]
        for frame in decode_frames(container, stream, DecodeStats()):
            rgb: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
            return upright(rgb.convert("RGB"), frame.rotation)
    raise ValueError("no frame")  # probe already proved a frame exists


def make_previews(
    path: Path,
    info: MediaInfo,
    max_side: int = 512,
    blur_radius: float = 24.0,
    decoded: Image.Image | None = None,
) -> Previews:
    """Both renditions; ``decoded`` is the already-decoded image, when intake has it."""
    if decoded is not None:
        frame = decoded  # intake's own decode, not used afterwards: shrink it in place
        frame.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        frame = to_rgb(frame)
    else:
        frame = representative_frame(path, info)
        frame.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return Previews(_jpeg(frame), _jpeg(blur(frame, max_side, blur_radius)))


def blur(frame: Image.Image, max_side: int = 512, blur_radius: float = 24.0) -> Image.Image:
    """``frame`` made unrecognisable, at its own size. ``blur_radius`` is meant for an image
    whose long side is ``max_side`` and scales with the actual size."""
    # Pixelate to 1/16, blur at that scale, scale back up: as unrecognisable as a large blur
    # on the full preview, at a fraction of its cost.
    factor = 16
    small = frame.resize(
        (max(1, frame.width // factor), max(1, frame.height // factor)), Image.Resampling.BOX
    )
    radius = max(1.0, blur_radius * max(frame.size) / max_side / factor)
    return small.filter(ImageFilter.GaussianBlur(radius)).resize(
        frame.size, Image.Resampling.BILINEAR
    )


def blurred_jpeg(data: bytes, max_side: int = 512, blur_radius: float = 24.0) -> bytes:
    """A still image (a flagged-moment thumbnail) blurred like the previews, as JPEG."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        frame = to_rgb(image)
    return _jpeg(blur(frame, max_side, blur_radius))


def _eight_bit(image: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit or floating-point grey image scaled to 8-bit grey; any other as it is.

    Pillow's own conversion clips: every value over 255 becomes white, so a 16-bit PNG or TIFF
    would be seen (by the detectors too) as a blank white picture. 16-bit values are scaled
    down; 32-bit ones too when they pass 255; floating-point ones from 0–1 when they stay in it.
    """
    if image.mode.startswith("I;16"):
        return Image.fromarray((np.asarray(image) >> 8).astype(np.uint8))
    if image.mode not in ("I", "F"):
        return image
    extrema = cast(tuple[float, float], image.getextrema())  # one band: (min, max)
    low, high = extrema
    if image.mode == "F" and low >= 0 and high <= 1:
        image = image.point(lambda value: value * 255)
    elif high > 255:
        image = image.point(lambda value: value * (1 / 257))
    return image.convert("L")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        return image.convert("RGB")
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()


def blurred_thumbnail_key(key: str) -> str:
    """Where the blurred copy of the thumbnail stored at ``key`` is kept."""
    stem, dot, extension = key.rpartition(".")
    return f"{stem}.blurred.{extension}" if dot else f"{key}.blurred"


def thumbnail_bytes(blobs: BlobStore, key: str, blurred: bool) -> bytes:
    """The thumbnail stored at ``key``, or its blurred copy (made now if never asked for)."""
    if not blurred:
        return blobs.get_bytes(key)
    blurred_key = blurred_thumbnail_key(key)
    if not blobs.exists(blurred_key):
        blobs.put_bytes(blurred_key, blurred_jpeg(blobs.get_bytes(key)), "image/jpeg")
    return blobs.get_bytes(blurred_key)
