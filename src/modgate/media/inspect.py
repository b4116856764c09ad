"""Inspect a file: sniff its type, prove it by decoding, hash it. No side effects.

``inspect_path`` is the one entry point; ``inspect_bytes`` wraps it for data already in memory.
Every refusal is a specific ``ModgateError`` (see ``modgate.errors``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

from modgate.errors import EmptyMediaException
from modgate.media.models import MediaInfo, MediaLimits
from modgate.media.probe import probe_image, probe_video
from modgate.media.sniff import HEADER_BYTES, sniff

CHUNK = 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _limits(limits: MediaLimits | Any) -> MediaLimits:
    if limits is None:
        return MediaLimits()
    return limits if isinstance(limits, MediaLimits) else MediaLimits.from_settings(limits)


def inspect_path(
    path: Path, limits: MediaLimits | Any = None, sha256: str | None = None
) -> MediaInfo:
    """Everything intake needs to know about the file at ``path``, or the reason it is refused.

    ``limits`` is a ``MediaLimits`` or a ``Settings`` (its limit fields are used).
    """
    return inspect_and_decode(path, limits, sha256)[0]


def inspect_and_decode(
    path: Path,
    limits: MediaLimits | Any = None,
    sha256: str | None = None,
    decode_side: int | None = None,
) -> tuple[MediaInfo, Image.Image | None]:
    """``inspect_path`` plus, for images, the decoded first frame (``None`` for video), decoded
    at least ``decode_side`` pixels on its long side when given (full size otherwise)."""
    limits = _limits(limits)
    size = path.stat().st_size
    if size == 0:
        raise EmptyMediaException()
    with path.open("rb") as handle:
        sniffed = sniff(handle.read(HEADER_BYTES))
    common: dict[str, Any] = {"format": sniffed.format, "mime": sniffed.mime, "size_bytes": size}
    if sniffed.kind == "image":
        width, height, frames, duration, animated, frame = probe_image(
            path, sniffed, size, limits, decode_side
        )
        facts: dict[str, Any] = {"frame_count": frames, "animated": animated}
    else:
        width, height, video_frames, duration, codec, rate = probe_video(
            path, sniffed, size, limits
        )
        facts = {"frame_count": video_frames, "codec": codec, "frame_rate": rate}
        frame = None
    info = MediaInfo(
        kind=sniffed.kind,
        sha256=sha256 or sha256_file(path),
        width=width,
        height=height,
        duration_seconds=duration,
        **common,
        **facts,
    )
    return info, frame


def inspect_bytes(data: bytes, limits: MediaLimits | Any = None) -> MediaInfo:
    """``inspect_path`` for bytes in memory (written to a private temporary file for video)."""
    if not data:
        raise EmptyMediaException()
    fd, name = tempfile.mkstemp(prefix="modgate-inspect-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return inspect_path(Path(name), limits, hashlib.sha256(data).hexdigest())
    finally:
        os.unlink(name)
