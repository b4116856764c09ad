"""Prove a sniffed file really is what it claims by decoding it, within the configured limits.

Images: the header is read first and the pixel count checked before any pixel is decoded (so a
decompression bomb never allocates), then the whole image is decoded. Animated and multi-page
images have every frame decoded, one at a time, after their total pixel count (width × height ×
frames) is checked: a frame bomb of many frames on a large canvas is refused before decoding.
Videos: PyAV opens the container, the container structure is checked for truncation (junk after
a complete MP4 is not truncation), the frame size, frame rate, frame count and duration are
checked from the headers, or measured from the packets when no duration is stated
(``media.video_limits``), and only then is the first video frame decoded; the duration runs from
the first frame to the end of the last (``media.video_stream``). Library errors are translated
here, once.
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
    VideoDurationUnknownException,
    VideoTooLargeException,
)
from modgate.media.animation import display_ms, is_timed
from modgate.media.library_reason import library_reason
from modgate.media.models import MediaLimits
from modgate.media.scale import draft_long_side
from modgate.media.sniff import Sniffed
from modgate.media.video_limits import (
    VideoExtent,
    check_duration,
    check_frame_size,
    check_headers,
)
from modgate.media.video_stream import DecodeStats, decode_frames, open_video, origin_seconds
from modgate.media.video_stream import duration_seconds as video_duration_seconds

ImageFile.LOAD_TRUNCATED_IMAGES = False

_PIL_FORMATS = {
    "JPEG": {"JPEG", "MPO"},
    "PNG": {"PNG"},
    "GIF": {"GIF"},
    "WEBP": {"WEBP"},
    "BMP": {"BMP", "DIB"},
    "TIFF": {"TIFF"},
    "AVIF": {"AVIF"},
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
    decoded frame is handed on so previews and detection never decode the file again. A
    multi-frame image has every frame decoded (so a frame cut short is refused here, not when
    it is detected); its duration is None when its frames have no display times (TIFF pages).
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
        raise _decode_error(exc, sniffed, _riff_cut_short(source, size, sniffed)) from exc
    with image:
        width, height = image.size
        _check_dimensions(width, height, limits)
        frames, duration = _decode_frames(image, sniffed, size, limits)
        animated = frames > 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                image.seek(0)
                draft_long_side(image, decode_side)
                image.load()
        except Exception as exc:
            raise _decode_error(exc, sniffed) from exc
    return width, height, frames, duration, animated, image


def _decode_frames(
    image: Image.Image, sniffed: Sniffed, size: int, limits: MediaLimits
) -> tuple[int, float | None]:
    """(frame count, seconds on screen) after decoding every frame of a multi-frame image.

    The frame count comes from the frame headers; width × height × frames is checked before
    any pixel is decoded, then each frame's own size before its pixels are (a GIF frame may
    enlarge the canvas, TIFF pages differ in size)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged page header is reported below, if at all
            frames = int(getattr(image, "n_frames", 1) or 1)
    except Exception as exc:  # a frame header past the first is damaged or missing
        raise _decode_error(exc, sniffed, _reached_end(image, size)) from exc
    if frames == 1:
        return 1, None
    width, height = image.size
    _check_total_pixels(width, height, frames, width * height * frames, limits)
    timed = is_timed(image)
    total_ms = 0.0
    decoded_pixels = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the limits are checked here, not by Pillow's warning
        for index in range(frames):
            _seek_frame(image, index, sniffed, size)
            frame_width, frame_height = image.size
            _check_dimensions(frame_width, frame_height, limits, smallest=False)
            decoded_pixels += frame_width * frame_height
            _check_total_pixels(width, height, frames, decoded_pixels, limits)
            try:
                image.load()
            except Exception as exc:
                raise _decode_error(exc, sniffed) from exc
            total_ms += display_ms(image) if timed else 0.0
    return frames, total_ms / 1000.0 if timed else None


def _seek_frame(image: Image.Image, index: int, sniffed: Sniffed, size: int) -> None:
    """Read frame ``index``'s header (the previous frame is loaded already, so no pixels)."""
    try:
        image.seek(index)
    except Image.DecompressionBombError as exc:  # a GIF frame enlarging the canvas
        raise DecompressionBombException(
            "A frame of the animation declares more pixels than allowed; it was not decoded."
        ) from exc
    except Exception as exc:
        raise _decode_error(exc, sniffed, _reached_end(image, size)) from exc


def _check_total_pixels(
    width: int, height: int, frames: int, pixels: int, limits: MediaLimits
) -> None:
    if pixels > limits.max_animation_pixels:
        raise DecompressionBombException(
            f"The image has {frames} frames of {width} × {height} pixels, {pixels} pixels in "
            f"all; the limit for all frames together is {limits.max_animation_pixels}. It was "
            "not decoded.",
            width=width,
            height=height,
            frame_count=frames,
        )


def _check_dimensions(width: int, height: int, limits: MediaLimits, smallest: bool = True) -> None:
    """``smallest=False`` for frames after the first, which may be small (TIFF thumbnails)."""
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
    if smallest and min(width, height) < limits.min_image_side:
        raise ImageTooSmallException(
            f"The image is {width} × {height}; each side must be at least "
            f"{limits.min_image_side} pixels.",
            width=width,
            height=height,
        )


def _reached_end(image: Image.Image, size: int) -> bool:
    """Whether the decoder had read or sought to the end of the file when it failed: the file
    then ends before the data its headers point to, whatever error the library raised (a GIF
    frame header cut short raises IndexError, a TIFF page past the end TypeError)."""
    handle = getattr(image, "fp", None)
    try:
        return handle is not None and int(handle.tell()) >= size
    except Exception:  # a closed or unseekable handle tells nothing
        return False


def _riff_cut_short(source: Path | IO[bytes], size: int, sniffed: Sniffed) -> bool:
    """Whether a WebP file's RIFF header declares more bytes than the file holds."""
    if sniffed.format != "WEBP":
        return False
    try:
        if isinstance(source, Path):
            with source.open("rb") as handle:
                head = handle.read(8)
        else:
            source.seek(0)
            head = source.read(8)
    except OSError:
        return False
    return len(head) == 8 and struct.unpack("<I", head[4:8])[0] + 8 > size


def _decode_error(
    exc: Exception, sniffed: Sniffed, cut_short: bool = False
) -> CorruptMediaException:
    text = str(exc).lower()
    truncated = "truncated" in text or "end of file" in text
    if cut_short or truncated or isinstance(exc, EOFError | struct.error):
        return TruncatedMediaException(
            f"The {sniffed.format} file ends before its image data does: it was cut short."
        )
    return CorruptMediaException(
        f"The file starts like a {sniffed.format} image but cannot be decoded "
        f"({library_reason(exc)})."
    )


def probe_video(
    path: Path, sniffed: Sniffed, size: int, limits: MediaLimits
) -> tuple[int, int, int | None, float | None, str, float | None]:
    """(width, height, frame_count, duration_seconds, codec, frame_rate) of a decodable video.

    Frame size, frame rate, frame count and duration are checked from the headers (or, when no
    duration is stated, from the packets) before any frame is decoded (``video_limits``)."""
    if size > limits.max_video_bytes:
        raise VideoTooLargeException(
            f"The video is {size} bytes; the limit is {limits.max_video_bytes} bytes.",
            size_bytes=size,
            limit=limits.max_video_bytes,
        )
    _check_container_length(path, sniffed, size)
    with _open_video(path, sniffed) as container:
        extent = check_headers(container, _video_stream(container, sniffed), limits)
        if not extent.measured:
            return _decode_first(container, sniffed, limits, extent)
    # Measuring read the whole stream: decoding starts again from its beginning.
    with _open_video(path, sniffed) as container:
        return _decode_first(container, sniffed, limits, extent)


def _decode_first(
    container: av.container.InputContainer,
    sniffed: Sniffed,
    limits: MediaLimits,
    extent: VideoExtent,
) -> tuple[int, int, int | None, float | None, str, float | None]:
    """``probe_video``'s facts, once the first frame decodes and the duration is known."""
    stream = _video_stream(container, sniffed)
    frame = _first_frame(container, stream, sniffed)
    width = int(stream.codec_context.width or frame.width)
    height = int(stream.codec_context.height or frame.height)
    check_frame_size(max(width, frame.width), max(height, frame.height), limits)
    duration = _duration_seconds(container, stream, frame)
    if duration is None or extent.measured:
        known = [d for d in (duration, extent.duration_seconds) if d is not None]
        duration = max(known) if known else None
    if duration is None:
        raise VideoDurationUnknownException()
    check_duration(duration, limits)
    frames = int(stream.frames) if stream.frames else None
    rate = float(stream.average_rate) if stream.average_rate else None
    return width, height, frames, duration, stream.codec_context.name, rate


def _open_video(path: Path, sniffed: Sniffed) -> av.container.InputContainer:
    try:
        return open_video(path)
    except av.error.FFmpegError as exc:
        if "moov atom not found" in str(exc).lower() or "end of file" in str(exc).lower():
            raise TruncatedMediaException(
                f"The {sniffed.format} file is cut short: its index is missing."
            ) from exc
        raise CorruptMediaException(
            f"The file starts like a {sniffed.format} video but cannot be opened "
            f"({library_reason(exc)})."
        ) from exc


def _video_stream(container: av.container.InputContainer, sniffed: Sniffed) -> av.VideoStream:
    if not container.streams.video:
        raise NoVideoStreamException(
            f"The {sniffed.format} file holds no video stream (audio only or empty)."
        )
    return container.streams.video[0]


def _duration_seconds(
    container: av.container.InputContainer, stream: av.VideoStream, first: av.VideoFrame
) -> float | None:
    """From the stream's first frame to the end of its last (see ``video_stream``)."""
    origin = origin_seconds(stream)
    if origin is None:
        origin = first.time or 0.0
    return video_duration_seconds(container, stream, origin)


# Damaged packets tolerated before the first frame: beyond that the stream is not video.
_MAX_PACKETS_BEFORE_A_FRAME = 64


def _first_frame(
    container: av.container.InputContainer, stream: av.VideoStream, sniffed: Sniffed
) -> av.VideoFrame:
    """The first frame that decodes; damaged packets before it are skipped, as players do."""
    stats = DecodeStats()
    for frame in decode_frames(container, stream, stats, max_failed=_MAX_PACKETS_BEFORE_A_FRAME):
        return frame
    if stats.failed:
        raise CorruptMediaException(
            f"The {sniffed.format} video stream cannot be decoded ({stats.failed} damaged "
            "packets and no frame)."
        )
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


# Top-level box types of ISO base media files (ISO/IEC 14496-12, QuickTime).
_ISO_TOP_LEVEL_BOXES = frozenset(
    {b"ftyp", b"styp", b"moov", b"mdat", b"moof", b"mfra", b"free", b"skip", b"wide", b"uuid"}
    | {b"sidx", b"ssix", b"prft", b"emsg", b"meta", b"pdin", b"pnot", b"udta"}
)


def _check_iso_boxes(handle: IO[bytes], size: int, sniffed: Sniffed) -> None:
    """Refuse a file whose boxes run past its end (cut short). Bytes after a complete file
    (its moov and mdat boxes whole) that do not start a known box are trailing junk, which
    players ignore: they are accepted."""
    offset = 0
    seen: set[bytes] = set()
    while offset + 8 <= size:
        handle.seek(offset)
        head = handle.read(16)
        box_size, box_type = struct.unpack(">I4s", head[:8])
        if box_size == 1 and len(head) >= 16:
            box_size = struct.unpack(">Q", head[8:16])[0]
        elif box_size == 0:  # box runs to the end of the file
            return
        if box_size < 8 or offset + box_size > size:
            if {b"moov", b"mdat"} <= seen and box_type not in _ISO_TOP_LEVEL_BOXES:
                return  # trailing junk after a complete file
            if box_size < 8:
                raise CorruptMediaException(f"The {sniffed.format} file has a malformed box.")
            raise TruncatedMediaException(
                f"The {sniffed.format} file is cut short: its {box_type.decode('latin-1')!r} "
                f"box declares {box_size} bytes but only {size - offset} remain."
            )
        seen.add(box_type)
        offset += box_size
