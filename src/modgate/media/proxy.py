"""The blurred proxy of a video: what the console's player plays before the reviewer reveals it.

The clear original must not reach a browser before a logged reveal, and a CSS blur is no
protection (the pixels are already there), so the server sends a rendition whose pixels are
blurred: every kept frame pixelated and blurred like the previews (``previews.blur``), small
(long side ``PROXY_SIDE``) and at a low frame rate (``PROXY_FPS``), encoded as VP8 in WebM,
which Debian's chromium (and every other browser) plays. No audio. Frames keep the original's
presentation times, so a flagged moment is at the same second in both, and the reviewer can jump
to it before revealing.

It is made on first request and kept in the blob store beside the previews, under a key fixed
by the content (``previews/ab/<sha256>.blurred.webm``); two requests in this process wait for one
encoding rather than running two.
"""

from __future__ import annotations

import tempfile
import threading
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

from modgate.media.blobstore import BlobStore, readable_path
from modgate.media.previews import blur
from modgate.media.store import MediaRecord
from modgate.media.video_stream import DecodeStats, decode_frames, open_video, upright

PROXY_SIDE = 240
PROXY_FPS = 8
PROXY_MIME = "video/webm"
_MILLISECONDS = Fraction(1, 1000)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def proxy_key(sha256: str) -> str:
    return f"previews/{sha256[:2]}/{sha256}.blurred.webm"


def ensure_blurred_proxy(blobs: BlobStore, record: MediaRecord, blur_radius: float = 24.0) -> str:
    """The blob key of ``record``'s blurred proxy, made now if it was never asked for."""
    key = proxy_key(record.info.sha256)
    if blobs.exists(key):
        return key
    with _lock_for(key):
        if blobs.exists(key):  # made while this request waited
            return key
        with (
            readable_path(blobs, record.blob_key) as source,
            tempfile.TemporaryDirectory(prefix="modgate-proxy-") as folder,
        ):
            destination = Path(folder) / "proxy.webm"
            make_blurred_proxy(source, destination, blur_radius=blur_radius)
            blobs.put_file(key, destination, PROXY_MIME, consume=True)
    return key


def make_blurred_proxy(
    source: Path,
    destination: Path,
    side: int = PROXY_SIDE,
    fps: int = PROXY_FPS,
    blur_radius: float = 24.0,
) -> None:
    """Write the blurred proxy of the video at ``source`` to ``destination`` (WebM, VP8)."""
    step_ms = 1000 / fps
    with open_video(source) as container, av.open(str(destination), "w", format="webm") as out:
        stream = container.streams.video[0]
        origin: float | None = None
        next_ms = 0.0
        encoder: av.VideoStream | None = None
        last_pts = -1
        for frame in decode_frames(container, stream, DecodeStats()):
            seconds = frame.time if frame.time is not None else (last_pts + step_ms) / 1000
            origin = seconds if origin is None else origin
            at_ms = (seconds - origin) * 1000
            if at_ms + 0.5 < next_ms:
                continue  # more frames than the proxy keeps
            next_ms = max(next_ms + step_ms, at_ms)
            image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
            image = upright(image.convert("RGB"), frame.rotation)
            if encoder is None:
                encoder = _encoder(out, image.size, side, fps)
            small = image.resize((encoder.width, encoder.height), Image.Resampling.BILINEAR)
            blurred = blur(small, max_side=512 * side // PROXY_SIDE, blur_radius=blur_radius)
            pts = max(last_pts + 1, round(at_ms))
            last_pts = pts
            video_frame = av.VideoFrame.from_image(blurred)  # type: ignore[no-untyped-call]
            video_frame.pts = pts
            video_frame.time_base = _MILLISECONDS
            out.mux(encoder.encode(video_frame))
        if encoder is None:
            raise ValueError("the video has no frame to make a proxy of")
        out.mux(encoder.encode(None))


def _encoder(
    out: av.container.OutputContainer, size: tuple[int, int], side: int, fps: int
) -> av.VideoStream:
    width, height = size
    scale = min(1.0, side / max(width, height))
    stream = out.add_stream("libvpx", rate=fps)
    stream.width = max(2, round(width * scale / 2) * 2)  # 4:2:0 wants even sides
    stream.height = max(2, round(height * scale / 2) * 2)
    stream.pix_fmt = "yuv420p"
    stream.time_base = _MILLISECONDS
    stream.codec_context.time_base = _MILLISECONDS
    stream.bit_rate = 150_000
    stream.options = {"deadline": "realtime", "cpu-used": "16", "lag-in-frames": "0"}
    return stream


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())
