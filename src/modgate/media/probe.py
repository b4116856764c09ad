"""Prove a sniffed file really is what it claims by decoding it, within the configured limits.

Images: the header is read first and the pixel count checked before any pixel is decoded (so a
decompression bomb never allocates), then the whole image (every frame's first frame for animated
formats) is decoded. Videos: PyAV opens the container, the container structure is checked for
truncation, and the first video frame is decoded. Library errors are translated here, once.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import IO

import av
from PIL import Image, ImageFile

from modgate.errors import (
    CorruptMediaException,
    DecompressionBombException,
    ImageTooLargeException,
    ImageTooSmallException,
    NoVideoStreamException,
    TruncatedMediaException,
    VideoTooLargeException,
    VideoTooLongException,
)
from modgate.media.models import MediaLimits
from modgate.media.scale import draft_long_side
from modgate.media.sniff import Sniffed

ImageFile.LOAD_TRUNCATED_IMAGES = False

_PIL_FORMATS = {
    "JPEG": {"JPEG", "MPO"},
    "PNG": {"PNG"},
    "GIF": {"GIF"},
    "WEBP": {"WEBP"},
    "BMP": {"BMP", "DIB"},
    "TIFF": {"TIFF"},
}


def probe_image(
    source: Path | IO[bytes],
    sniffed: Sniffed,
    size: int,
    limits: MediaLimits,
    decode_side: int | None = None,
) -> tuple[int, int, int, float | None, bool, Image.Image]:
    """Check an image's header against the limits, then decode it fully.

    ``decode_side`` lets JPEG decode at a reduced scale (DCT scaling) when the caller only needs
    that many pixels on the long side; every entropy-coded block is still read, so truncated or
    corrupt data is caught all the same.

    Returns (width, height, frame_count, duration_seconds, animated, decoded first frame); the
    decoded frame is handed on so previews and detection never decode the file again.
    """
    if size > limits.max_image_bytes:
        raise ImageTooLargeException(
            f"The image is {size} bytes; the limit is {limits.max_image_bytes} bytes.",
            size_bytes=size,
            limit=limits.max_image_bytes,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=sorted(_PIL_FORMATS[sniffed.format]))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecompressionBombException(
            "The image declares more pixels than allowed; it was not decoded."
        ) from exc
    except Exception as exc:
        raise _decode_error(exc, sniffed) from exc
    with image:
        width, height = image.size
        _check_dimensions(width, height, limits)
        frames = int(getattr(image, "n_frames", 1) or 1)
        animated = bool(getattr(image, "is_animated", False)) and frames > 1
        duration = _animation_seconds(image, frames) if animated else None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                image.seek(0)
                draft_long_side(image, decode_side)
                image.load()
        except Exception as exc:
            raise _decode_error(exc, sniffed) from exc
    return width, height, frames, duration, animated, image


def _check_dimensions(width: int, height: int, limits: MediaLimits) -> None:
    if width * height > limits.max_image_pixels:
        raise DecompressionBombException(
            f"The image declares {width} × {height} = {width * height} pixels; the limit is "
            f"{limits.max_image_pixels}. It was not decoded.",
            width=width,
            height=height,
        )
    if max(width, height) > limits.max_image_side:
        raise ImageTooLargeException(
            f"The image is {width} × {height}; each side must be at most "
            f"{limits.max_image_side} pixels.",
            width=width,
            height=height,
        )
    if min(width, height) < limits.min_image_side:
        raise ImageTooSmallException(
            f"The image is {width} × {height}; each side must be at least "
            f"{limits.min_image_side} pixels.",
            width=width,
            height=height,
        )


def _animation_seconds(image: Image.Image, frames: int) -> float | None:
    total_ms = 0.0
    try:
        for index in range(frames):
            image.seek(index)
            total_ms += float(image.info.get("duration", 0) or 0)
        image.seek(0)
    except Exception as exc:  # a frame past the first is damaged
        raise TruncatedMediaException(
            "A frame of the animation cannot be read: the file is cut short or damaged."
        ) from exc
    return total_ms / 1000.0 if total_ms else None


def _decode_error(exc: Exception, sniffed: Sniffed) -> CorruptMediaException:
    text = str(exc).lower()
    if "truncated" in text or "end of file" in text or isinstance(exc, EOFError | struct.error):
        return TruncatedMediaException(
            f"The {sniffed.format} file ends before its image data does: it was cut short."
        )
    return CorruptMediaException(
        f"The file starts like a {sniffed.format} image but cannot be decoded ({exc})."
    )


def probe_video(
    path: Path, sniffed: Sniffed, size: int, limits: MediaLimits
) -> tuple[int, int, int | None, float | None, str, float | None]:
    """(width, height, frame_count, duration_seconds, codec, frame_rate) of a decodable video."""
    if size > limits.max_video_bytes:
        raise VideoTooLargeException(
            f"The video is {size} bytes; the limit is {limits.max_video_bytes} bytes.",
            size_bytes=size,
            limit=limits.max_video_bytes,
        )
    _check_container_length(path, sniffed, size)
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        if "moov atom not found" in str(exc).lower() or "end of file" in str(exc).lower():
            raise TruncatedMediaException(
                f"The {sniffed.format} file is cut short: its index is missing."
            ) from exc
        raise CorruptMediaException(
            f"The file starts like a {sniffed.format} video but cannot be opened ({exc})."
        ) from exc
    with container:
        if not container.streams.video:
            raise NoVideoStreamException(
                f"The {sniffed.format} file holds no video stream (audio only or empty)."
            )
        stream = container.streams.video[0]
        duration = _duration_seconds(container, stream)
        if duration is not None and duration > limits.max_video_seconds:
            raise VideoTooLongException(
                f"The video lasts {duration:.0f} s; the limit is {limits.max_video_seconds:.0f} s.",
                duration_seconds=duration,
            )
        frame = _first_frame(container, stream, sniffed)
        width = int(stream.codec_context.width or frame.width)
        height = int(stream.codec_context.height or frame.height)
        frames = int(stream.frames) if stream.frames else None
        rate = float(stream.average_rate) if stream.average_rate else None
        codec = stream.codec_context.name
    return width, height, frames, duration, codec, rate


def _duration_seconds(
    container: av.container.InputContainer, stream: av.VideoStream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration / av.time_base)
    return None


def _first_frame(
    container: av.container.InputContainer, stream: av.VideoStream, sniffed: Sniffed
) -> av.VideoFrame:
    try:
        for frame in container.decode(stream):
            return frame
    except av.error.FFmpegError as exc:
        raise CorruptMediaException(
            f"The {sniffed.format} video stream cannot be decoded ({exc})."
        ) from exc
    raise TruncatedMediaException(f"The {sniffed.format} video stream holds no decodable frame.")


def _check_container_length(path: Path, sniffed: Sniffed, size: int) -> None:
    """Refuse files whose container declares more bytes than the file holds."""
    with path.open("rb") as handle:
        if sniffed.format in ("MP4", "MOV"):
            _check_iso_boxes(handle, size, sniffed)
        elif sniffed.format == "AVI":
            declared = struct.unpack("<I", handle.read(8)[4:8])[0] + 8
            if declared > size:
                raise TruncatedMediaException("The AVI file is cut short.")


def _check_iso_boxes(handle: IO[bytes], size: int, sniffed: Sniffed) -> None:
    offset = 0
    while offset + 8 <= size:
        handle.seek(offset)
        head = handle.read(16)
        box_size, box_type = struct.unpack(">I4s", head[:8])
        if box_size == 1 and len(head) >= 16:
            box_size = struct.unpack(">Q", head[8:16])[0]
        elif box_size == 0:  # box runs to the end of the file
            return
        if box_size < 8:
            raise CorruptMediaException(f"The {sniffed.format} file has a malformed box.")
        if offset + box_size > size:
            raise TruncatedMediaException(
                f"The {sniffed.format} file is cut short: its {box_type.decode('latin-1')!r} "
                f"box declares {box_size} bytes but only {size - offset} remain."
            )
        offset += box_size
