"""Decode once, resize once: one ``PreparedImage`` per image, shared by every detector.

The image is decoded only as large as the detectors need (``max_side``: the largest input any
enabled detector uses): a JPEG is decoded straight at 1/2, 1/4 or 1/8 scale by libjpeg's DCT
scaling, anything else is box-reduced once. Detectors then ask for the pixels they need
(``resized(224, 224)``, ``letterboxed(320)``) and get a cached uint8 array; when two detectors
want the same size, the second gets the first one's work. Safe to use from several threads:
each view is computed once under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
from PIL import Image

from modgate.media.scale import draft_long_side


class PreparedImage:
    """An RGB image with cached resized views as ``uint8`` HWC arrays."""

    def __init__(self, image: Image.Image, max_side: int | None = None) -> None:
        self.original_width, self.original_height = image.size
        if max_side:
            image = _decode_small(image, max_side)
        if image.mode != "RGB":
            # Transparent areas become white rather than black, as a viewer would show them.
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            if has_alpha:
                background = Image.new("RGB", image.size, (255, 255, 255))
                background.paste(image.convert("RGBA"), mask=image.convert("RGBA").split()[-1])
                image = background
            else:
                image = image.convert("RGB")
        self.image = image
        self.width, self.height = image.size
        # Multiply working-image pixels by this to get pixels of the original image.
        self.scale_to_original = self.original_width / self.width
        self._views: dict[Hashable, np.ndarray] = {}
        self._lock = threading.RLock()  # views build on other views (the reduced source)
        # Whose item this is, when detection runs for one tenant (custom labels are theirs).
        self.tenant: str | None = None
        # Results of models shared between detectors (a backbone's scores and features).
        self._shared: dict[Hashable, Any] = {}
        self._shared_locks: dict[Hashable, threading.Lock] = {}

    def shared(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()``'s result, computed once for this image under ``key`` however many
        detectors ask at once (the others wait for the first one's result)."""
        with self._lock:
            if key in self._shared:
                return self._shared[key]
            lock = self._shared_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._shared:
                value = build()
                with self._lock:
                    self._shared[key] = value
            return self._shared[key]

    def computed(self, key: Hashable) -> Any:
        """What ``shared`` (or ``keep``) stored under ``key``, or None."""
        with self._lock:
            return self._shared.get(key)

    def keep(self, key: Hashable, value: Any) -> None:
        """Store a result computed for a whole batch (the first value stored wins)."""
        with self._lock:
            self._shared.setdefault(key, value)

    def _view(self, key: Hashable, build: Callable[[], np.ndarray]) -> np.ndarray:
        with self._lock:
            view = self._views.get(key)
            if view is None:
                view = build()
                view.setflags(write=False)
                self._views[key] = view
            return view

    def array(self) -> np.ndarray:
        """The full-size image, HWC uint8 RGB."""
        return self._view("full", lambda: np.asarray(self.image, dtype=np.uint8))

    def resized(self, width: int, height: int) -> np.ndarray:
        """The image stretched to ``width`` × ``height`` (bilinear), HWC uint8 RGB."""

        def build() -> np.ndarray:
            source = self._reduced_source(width, height)
            return np.asarray(source.resize((width, height), Image.Resampling.BILINEAR))

        return self._view(("resized", width, height), build)

    def letterboxed(self, size: int) -> tuple[np.ndarray, float]:
        """The image padded with black at the right/bottom to a square, then scaled to ``size``.

        Returns the array and the scale factor from model pixels back to image pixels.
        """
        side = max(self.width, self.height)

        def build() -> np.ndarray:
            scale = size / side
            inner_width = max(1, round(self.width * scale))
            inner_height = max(1, round(self.height * scale))
            inner = self._reduced_source(inner_width, inner_height).resize(
                (inner_width, inner_height), Image.Resampling.BILINEAR
            )
            canvas = np.zeros((size, size, 3), dtype=np.uint8)
            canvas[:inner_height, :inner_width] = np.asarray(inner)
            return canvas

        return self._view(("letterboxed", size), build), side / size * self.scale_to_original

    def _reduced_source(self, width: int, height: int) -> Image.Image:
        """A cheap box-filtered copy a little larger than the target, so big images resize fast."""
        factor = min(self.width // max(width * 2, 1), self.height // max(height * 2, 1))
        if factor < 2:
            return self.image
        key = ("reduced", factor)
        with self._lock:
            cached = self._views.get(key)
        if cached is None:
            cached = np.asarray(self.image.reduce(factor))
            with self._lock:
                self._views.setdefault(key, cached)
        return Image.fromarray(cached)


def _decode_small(image: Image.Image, max_side: int) -> Image.Image:
    """``image`` decoded (JPEG) or reduced (others) to a long side of at least ``max_side``."""
    long_side = max(image.size)
    if long_side <= max_side:
        return image
    if image.format == "JPEG" and getattr(image, "_im", None) is None:  # not decoded yet
        draft_long_side(image, max_side)
        image.load()
        long_side = max(image.size)
    factor = long_side // max_side
    if factor >= 2:
        image = image.reduce(factor)
    return image
