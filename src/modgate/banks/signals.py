"""Signals: the hashes banks hold and items are matched by.

Three signal types, named as HMA names them:

* ``pdq`` — Meta's PDQ perceptual hash of a picture: 256 bits, written as 64 hex digits, with a
  quality score 0–100. A hash of quality under ``MIN_QUALITY`` (a flat or nearly featureless
  picture) matches too much to mean anything and is never matched. Near-copies (resized,
  recompressed, slightly cropped, a watermark) stay within a Hamming distance of about 31.
* ``vpdq`` — a video's PDQ timeline: one PDQ hash per sampled second (``VIDEO_FPS``), each with
  its time. A video matches a banked one when a share of its frames matches the banked frames
  and a share of the banked frames are found in it (vPDQ's two-way comparison).
* ``video_md5`` — the MD5 of a video's bytes: exact copies only.

Hashing uses ``pdqhash`` (Python bindings of Meta's reference C++ implementation); the picture is
first reduced to ``HASH_SIDE`` pixels on its long side, as HMA's hasher does, which changes the
hash by a bit or two at most and bounds the work of a huge photo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args

import numpy as np
import pdqhash
from PIL import Image, ImageOps

from modgate.detection.video_sampling import sample_frames
from modgate.errors import (
    ImageTooSmallException,
    InvalidSignalException,
    UnknownSignalTypeException,
)

SignalType = Literal["pdq", "vpdq", "video_md5"]
SIGNAL_TYPES: Final[tuple[str, ...]] = get_args(SignalType)
PDQ_BITS: Final = 256
PDQ_HEX_DIGITS: Final = PDQ_BITS // 4
MD5_HEX_DIGITS: Final = 32
MIN_QUALITY: Final = 50
MAX_DISTANCE: Final = 64  # the largest threshold a bank may set (a quarter of the bits)
HASH_SIDE: Final = 512
MIN_SIDE: Final = 16
VIDEO_FPS: Final = 1.0
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Signal:
    """One hash of one piece of content. ``quality``: PDQ's 0–100 (None for MD5);
    ``timestamp_ms``: where in a video a frame's hash was taken (None for a picture)."""

    type: SignalType
    value: str
    quality: int | None = None
    timestamp_ms: int | None = None

    @property
    def matchable(self) -> bool:
        """Whether the signal can take part in a match (PDQ of enough quality)."""
        return self.quality is None or self.quality >= MIN_QUALITY


def signal_type_of(name: str) -> SignalType:
    """``name`` as a signal type, or ``UnknownSignalTypeException`` (400)."""
    for known in get_args(SignalType):
        if name == known:
            return known  # type: ignore[no-any-return]
    raise UnknownSignalTypeException(
        f"Unknown signal type {name!r}; use one of {', '.join(SIGNAL_TYPES)}."
    )


def checked_signal(signal_type: str, value: str) -> str:
    """``value`` as the canonical (lower-case hex) form of a ``signal_type`` hash, or
    ``InvalidSignalException`` (400) naming what is wrong with it."""
    kind = signal_type_of(signal_type)
    digits = MD5_HEX_DIGITS if kind == "video_md5" else PDQ_HEX_DIGITS
    text = value.strip().lower()
    if len(text) != digits or not set(text) <= _HEX:
        raise InvalidSignalException(
            f"A {kind} hash is {digits} hexadecimal digits; got {len(value)} characters."
        )
    return text


def pdq_bits(hex_value: str) -> np.ndarray:
    """A PDQ hash as 32 bytes (the form the index stores)."""
    return np.frombuffer(bytes.fromhex(hex_value), dtype=np.uint8)


def hamming(one: str, other: str) -> int:
    """The Hamming distance of two hashes given as hex."""
    return (int(one, 16) ^ int(other, 16)).bit_count()


def _hex_of(bits: np.ndarray) -> str:
    packed = np.packbits(bits.astype(np.uint8))
    return packed.tobytes().hex()


def _prepared(image: Image.Image) -> np.ndarray:
    if min(image.size) < MIN_SIDE:
        raise ImageTooSmallException(
            f"The picture is {image.width} × {image.height} pixels; hashing needs at least "
            f"{MIN_SIDE} on each side."
        )
    picture = ImageOps.exif_transpose(image).convert("RGB")
    if max(picture.size) > HASH_SIDE:
        picture.thumbnail((HASH_SIDE, HASH_SIDE), Image.Resampling.BILINEAR)
    return np.asarray(picture)


def pdq_of(image: Image.Image) -> Signal:
    """The PDQ hash of a picture, with its quality."""
    bits, quality = pdqhash.compute(_prepared(image))
    return Signal("pdq", _hex_of(bits), int(quality))


def pdq_variants(image: Image.Image) -> tuple[Signal, Signal]:
    """The PDQ hash of a picture and of its mirror image (left and right swapped), from one
    pass: a mirrored copy is matched by looking the second one up."""
    hashes, quality = pdqhash.compute_dihedral(_prepared(image))
    # compute_dihedral's order: original, three rotations, then the mirror images; the fifth
    # of those flips left and right.
    return (
        Signal("pdq", _hex_of(hashes[0]), int(quality)),
        Signal("pdq", _hex_of(hashes[5]), int(quality)),
    )


def video_md5_of(path: Path) -> Signal:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return Signal("video_md5", digest.hexdigest())


def vpdq_of(path: Path, fps: float = VIDEO_FPS) -> tuple[Signal, ...]:
    """A video's PDQ timeline: the hash of the frame on screen every ``1 / fps`` s."""
    frames = []
    for sample in sample_frames(path, fps, max_side=HASH_SIDE):
        signal = pdq_of(sample.image) if min(sample.image.size) >= MIN_SIDE else None
        if signal is not None:
            frames.append(
                Signal("vpdq", signal.value, signal.quality, timestamp_ms=sample.timestamp_ms)
            )
    return tuple(frames)


def video_signals(path: Path) -> tuple[Signal, ...]:
    """Everything a video is banked and matched by: its MD5, then its PDQ timeline."""
    return (video_md5_of(path), *vpdq_of(path))


def distinct(signals: Iterable[Signal]) -> tuple[Signal, ...]:
    """``signals`` without repeats of the same type and value (a still scene hashes the same
    every second), the first of each kept."""
    seen: set[tuple[str, str]] = set()
    out = []
    for signal in signals:
        key = (signal.type, signal.value)
        if key not in seen:
            seen.add(key)
            out.append(signal)
    return tuple(out)
