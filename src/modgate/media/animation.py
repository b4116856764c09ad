"""Frames of multi-frame images, decoded one at a time, and how long each is on screen.

Animated GIF, WebP, PNG (APNG) and AVIF frames have display times; multi-page TIFF and MPO files
hold separate pictures without timing. Frames are decoded in order and only the current one is held:
GIF and APNG frames are drawn over the previous ones, so the picture a viewer sees is the decoder's
canvas after the frame is loaded.

Display times follow browsers: a delay that is missing or at most 10 ms is shown for 100 ms
(Firefox's rule, which Chromium and WebKit follow; ads once used zero delays to flash as fast as
possible). Pillow learns an animated WebP frame's delay only when it decodes the frame, so a
frame's time is read after ``load()``.
"""

from __future__ import annotations

from collections.abc import Iterator

from PIL import Image

TIMED_FORMATS = frozenset({"GIF", "WEBP", "PNG", "AVIF"})
DEFAULT_FRAME_MS = 100.0
SHORTEST_FRAME_MS = 10.0  # a delay up to this is shown for DEFAULT_FRAME_MS


def is_timed(image: Image.Image) -> bool:
    """Whether the file's frames have display times (otherwise they are pages)."""
    return image.format in TIMED_FORMATS


def display_ms(image: Image.Image) -> float:
    """How long the current, loaded frame stays on screen, in milliseconds, as browsers show it."""
    delay = float(image.info.get("duration") or 0)
    return DEFAULT_FRAME_MS if delay <= SHORTEST_FRAME_MS else delay


def decoded_frames(image: Image.Image) -> Iterator[int]:
    """Seek to and decode each frame in turn, yielding its index; the image then shows it."""
    for index in range(int(getattr(image, "n_frames", 1) or 1)):
        image.seek(index)
        image.load()
        yield index
