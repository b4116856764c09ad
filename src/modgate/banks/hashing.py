"""Hashing media for banks: a picture's PDQ (and its mirror image's), a video's MD5 and vPDQ."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modgate.banks.signals import (
    HASH_SIDE,
    Signal,
    distinct,
    pdq_of,
    pdq_variants,
    video_signals,
)
from modgate.errors import InvalidParameterException
from modgate.media.inspect import inspect_and_decode
from modgate.media.models import MediaLimits


@dataclass(frozen=True, slots=True)
class Hashed:
    """What hashing a picture or a video gave: its kind and its signals. ``mirror``: the PDQ
    hash of a picture's mirror image, looked up beside it and never banked."""

    kind: str
    signals: tuple[Signal, ...]
    mirror: Signal | None = None

    def lookup_signals(self) -> tuple[Signal, ...]:
        return self.signals + ((self.mirror,) if self.mirror is not None else ())

    def public(self) -> dict[str, str]:
        """The first hash of each type, as HMA's hashing answer shows them."""
        found: dict[str, str] = {}
        for signal in self.signals:
            if signal.type != "vpdq":
                found.setdefault(signal.type, signal.value)
        return found


def hash_file(path: Path, limits: MediaLimits, mirror: bool = False) -> Hashed:
    """The signals of the picture or video at ``path``, checked against ``limits`` as intake
    checks media. ``mirror``: also the PDQ hash of a picture's mirror image."""
    info, frame = inspect_and_decode(path, limits, decode_side=HASH_SIDE)
    if info.kind == "video":
        return Hashed("video", distinct(video_signals(path)))
    if frame is None:
        raise InvalidParameterException("The picture could not be decoded.")
    if mirror:
        picture, mirrored = pdq_variants(frame)
        return Hashed("photo", (picture,), mirrored)
    return Hashed("photo", (pdq_of(frame),))
