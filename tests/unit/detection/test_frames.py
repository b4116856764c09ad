"""PreparedImage: decoded once at the size detectors need, views cached, coordinates mapped back."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from modgate.detection.frames import PreparedImage


def jpeg(width: int, height: int) -> Image.Image:
    buffer = io.BytesIO()
    gradient = np.linspace(0, 255, width, dtype=np.uint8)[None, :, None].repeat(height, 0)
    Image.fromarray(gradient.repeat(3, 2)).save(buffer, "JPEG")
    return Image.open(io.BytesIO(buffer.getvalue()))


def test_large_jpeg_is_decoded_small_and_boxes_map_to_original_pixels() -> None:
    prepared = PreparedImage(jpeg(2048, 1536), max_side=512)
    assert (prepared.width, prepared.height) == (512, 384)
    view, scale = prepared.letterboxed(320)
    assert view.shape == (320, 320, 3)
    # A box spanning the model input's full width spans the original's 2048 pixels.
    assert 320 * scale == 2048
    assert view[-1].max() == 0  # padded at the bottom


def test_views_are_cached_and_read_only() -> None:
    prepared = PreparedImage(jpeg(640, 480), max_side=640)
    first = prepared.resized(224, 224)
    assert prepared.resized(224, 224) is first
    assert not first.flags.writeable


def test_transparent_pixels_become_white() -> None:
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    assert PreparedImage(image).array().min() == 255
