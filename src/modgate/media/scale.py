"""Decode JPEGs only as large as they are needed (DCT scaling)."""

from __future__ import annotations

import math

from PIL import Image


def draft_long_side(image: Image.Image, long_side: int | None) -> None:
    """Ask the JPEG decoder for the smallest DCT scale (1, 1/2, 1/4, 1/8) whose long side is
    still at least ``long_side``. Call before the image is loaded; other formats ignore it.

    Every entropy-coded block is still read at any scale, so truncated or corrupt data is
    caught all the same."""
    width, height = image.size
    if not long_side or max(width, height) <= long_side or image.format != "JPEG":
        return
    longest = max(width, height)
    scale = next(s for s in (8, 4, 2, 1) if math.ceil(longest / s) >= long_side)
    if scale > 1:
        # Pillow picks the scale as min(width // w, height // h) for a requested (w, h).
        image.draft("RGB", (max(1, width // scale), max(1, height // scale)))
