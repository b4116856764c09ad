"""What the hash-bank tests hash: photos that ship in scikit-image, the near-copies a
re-uploader makes of them, red-tinted photos the marker test detector flags, slideshows."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from video_corpus import clip_bytes


def photo(name: str) -> Image.Image:
    from skimage import data

    return Image.fromarray(np.asarray(getattr(data, name)())).convert("RGB")


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def near_copies(image: Image.Image) -> dict[str, bytes]:
    """What a re-uploader does to a picture: halve it, recompress it hard, crop a sliver off
    each side, stamp a watermark, mirror it."""
    width, height = image.size
    marked = image.copy()
    ImageDraw.Draw(marked).text((12, height - 24), "reposted by @someone", fill=(255, 255, 255))
    dx, dy = width // 100, height // 100
    return {
        "half size": jpeg(image.resize((width // 2, height // 2), Image.Resampling.LANCZOS)),
        "JPEG quality 50": jpeg(image, 50),
        "1% cropped off each side": jpeg(image.crop((dx, dy, width - dx, height - dy))),
        "watermark text": jpeg(marked),
        "mirrored": jpeg(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
    }


def red_tinted(name: str, quality: int = 90) -> bytes:
    """A photo in shades of red: the marker detector flags it, PDQ still sees the photo."""
    grey = np.asarray(photo(name).convert("L"), dtype=np.float32) / 255
    red = np.stack([196 + 58 * grey, 58 * grey, 58 * grey], axis=-1).astype(np.uint8)
    return jpeg(Image.fromarray(red), quality)


def slideshow(names: tuple[str, ...], side: int = 256, fps: int = 2) -> bytes:
    """A video showing each photo for one second."""
    frames = [
        np.asarray(photo(name).resize((side, side * 3 // 4))) for name in names for _ in range(fps)
    ]
    return clip_bytes(frames, fps=fps)
