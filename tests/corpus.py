"""Media made by code for the tests: valid files of every supported type and a bad-input corpus.

Nothing is downloaded. ``bad_corpus()`` maps a case name to (file name, bytes, expected error
code); every layer (intake, API, CLI, scan) must refuse each case with exactly that code.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image


def gradient_image(width: int = 320, height: int = 240, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    base = np.stack([x + 0 * y, y + 0 * x, (x[::-1] + y) / 2], axis=-1)
    noise = rng.normal(0, 12, size=(height, width, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")


def image_bytes(fmt: str, width: int = 320, height: int = 240, seed: int = 0) -> bytes:
    out = io.BytesIO()
    image = gradient_image(width, height, seed)
    if fmt == "GIF":
        frames = [gradient_image(width, height, seed + i).convert("P") for i in range(3)]
        frames[0].save(
            out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0
        )
    elif fmt == "WEBP":
        image.save(out, format="WEBP", quality=80)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def video_bytes(
    container: str = "mp4",
    codec: str = "libx264",
    seconds: float = 2.0,
    fps: int = 10,
    width: int = 160,
    height: int = 120,
    colour_at: tuple[float, float, tuple[int, int, int]] | None = None,
) -> bytes:
    """A small synthetic clip; ``colour_at=(start, end, rgb)`` paints a solid colour in
    [start, end)."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(int(seconds * fps)):
            t = index / fps
            array = np.asarray(gradient_image(width, height, index))
            if colour_at and colour_at[0] <= t < colour_at[1]:
                array = np.full((height, width, 3), colour_at[2], dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return out.getvalue()


def audio_only_mp4(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    rate = 44100
    with av.open(out, mode="w", format="mp4") as output:
        stream = output.add_stream("aac", rate=rate)
        samples = int(seconds * rate)
        tone = (np.sin(np.arange(samples) * 2 * np.pi * 440 / rate) * 0.3).astype(np.float32)
        for start in range(0, samples, 1024):
            chunk = tone[start : start + 1024]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


Frame = tuple[tuple[int, int, int] | None, int]  # (solid colour or None for a gradient, ms)


def animation_bytes(fmt: str, frames: list[Frame], width: int = 160, height: int = 120) -> bytes:
    """An animated GIF, WEBP or PNG (APNG); each frame is a solid colour or, for ``None``, a
    gradient with its own noise (so no two frames are alike and none are merged), shown for
    its milliseconds."""
    images = [
        Image.new("RGB", (width, height), colour)
        if colour
        else gradient_image(width, height, seed=index)
        for index, (colour, _ms) in enumerate(frames)
    ]
    out = io.BytesIO()
    extra = {"lossless": True} if fmt == "WEBP" else {}
    images[0].save(
        out,
        format=fmt,
        save_all=True,
        append_images=images[1:],
        duration=[ms for _colour, ms in frames],
        loop=0,
        **extra,
    )
    return out.getvalue()


def multipage_tiff(colours: list[tuple[int, int, int] | None], side: int = 160) -> bytes:
    """A TIFF of one page per colour (``None``: a gradient)."""
    pages = [
        Image.new("RGB", (side, side), colour) if colour else gradient_image(side, side, index)
        for index, colour in enumerate(colours)
    ]
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:])
    return out.getvalue()


def gif_frame_bomb(width: int = 8000, height: int = 8000, frames: int = 300) -> bytes:
    """A few-KB GIF whose ``frames`` one-pixel frames are each composited onto a
    ``width`` × ``height`` screen by a decoder: width × height × frames pixels of work."""
    data = bytearray(b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF0, 0, 0))
    data += bytes([0, 0, 0, 255, 255, 255])  # global palette: black, white
    data += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for index in range(frames):
        data += b"\x21\xf9\x04\x04" + struct.pack("<H", 2) + b"\x00\x00"  # 20 ms, no disposal
        x, y = (index * 37) % width, (index * 53) % height
        data += b"\x2c" + struct.pack("<HHHHB", x, y, 1, 1, 0)
        # LZW, minimum code size 2: clear (4), the colour, end (5), 3 bits each.
        codes = 4 | (index % 2) << 3 | 5 << 6
        data += bytes([2, 2]) + codes.to_bytes(2, "little") + b"\x00"
    return bytes(data + b"\x3b")


def noise_png(target_bytes: int) -> bytes:
    """A PNG of random pixels at least ``target_bytes`` long (random data does not compress)."""
    side = int((target_bytes / 3) ** 0.5) + 16
    pixels = np.random.default_rng(1).integers(0, 256, size=(side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="PNG", compress_level=1)
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", image_bytes("JPEG"))
    return out.getvalue()


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" '
    b'height="100"><script>alert(document.cookie)</script>'
    b'<rect width="100" height="100" fill="red"/></svg>\n'
)
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>x</title></head><body>"
    b"<img src=x onerror=alert(1)></body></html>\n"
)


def valid_corpus() -> dict[str, tuple[str, bytes, str, str]]:
    """name → (file name, bytes, kind, format) for every supported type."""
    cases = {
        fmt.lower(): (f"sample.{ext}", image_bytes(fmt), "image", fmt)
        for fmt, ext in (
            ("JPEG", "jpg"),
            ("PNG", "png"),
            ("WEBP", "webp"),
            ("GIF", "gif"),
            ("BMP", "bmp"),
            ("TIFF", "tif"),
        )
    }
    cases["mp4"] = ("clip.mp4", video_bytes("mp4", "libx264"), "video", "MP4")
    cases["mov"] = ("clip.mov", video_bytes("mov", "libx264"), "video", "MOV")
    cases["webm"] = ("clip.webm", video_bytes("webm", "libvpx-vp9"), "video", "WEBM")
    cases["mkv"] = ("clip.mkv", video_bytes("matroska", "libx264"), "video", "MKV")
    cases["avi"] = ("clip.avi", video_bytes("avi", "mpeg4"), "video", "AVI")
    return cases


def bad_corpus(size_limit_bytes: int = 15 * 1024 * 1024) -> dict[str, tuple[str, bytes, str]]:
    """name → (file name, bytes, expected error code)."""
    jpeg = image_bytes("JPEG", 640, 480)
    png = image_bytes("PNG", 640, 480)
    mp4 = video_bytes("mp4", "libx264", seconds=2.0)
    gif = animation_bytes("GIF", [(None, 100), (None, 200), (None, 300), (None, 400)])
    # Cut inside the third frame's header: counting the frames fails, not decoding one.
    third_frame = 0
    for _frame in range(3):
        third_frame = gif.index(b"\x21\xf9\x04", third_frame + 1)  # graphic control extension
    tiff = multipage_tiff([None, None, None, None])
    return {
        "zero_bytes": ("empty.jpg", b"", "EmptyMediaException"),
        "truncated_jpeg": ("cut.jpg", jpeg[: len(jpeg) // 2], "TruncatedMediaException"),
        "truncated_png": ("cut.png", png[: len(png) // 2], "TruncatedMediaException"),
        "png_bomb": ("bomb.png", png_declaring(100_000, 100_000), "DecompressionBombException"),
        "random_bytes": (
            "noise.jpg",
            random.Random(7).randbytes(4096),
            "UnsupportedMediaTypeException",
        ),
        "text_as_jpeg": (
            "notes.jpg",
            b"Just some text, not a picture.\n" * 20,
            "UnsupportedMediaTypeException",
        ),
        "svg_with_script": ("logo.svg", SVG_WITH_SCRIPT, "UnsafeMediaTypeException"),
        "html": ("page.png", HTML_PAGE, "UnsafeMediaTypeException"),
        "zip": ("photos.zip", zip_bytes(), "ArchiveNotAllowedException"),
        "mp4_without_video": ("voice.mp4", audio_only_mp4(), "NoVideoStreamException"),
        "truncated_mp4": ("cut.mp4", mp4[: len(mp4) // 2], "TruncatedMediaException"),
        "truncated_animated_gif": ("cut.gif", gif[: len(gif) * 7 // 10], "TruncatedMediaException"),
        "animated_gif_cut_in_a_frame_header": (
            "cut-header.gif",
            gif[: third_frame + 5],
            "TruncatedMediaException",
        ),
        "truncated_multipage_tiff": ("cut.tif", tiff[: len(tiff) // 2], "TruncatedMediaException"),
        "gif_frame_bomb": ("bomb.gif", gif_frame_bomb(), "DecompressionBombException"),
        "one_pixel": ("dot.png", image_bytes("PNG", 1, 1), "ImageTooSmallException"),
        "over_size_limit": (
            "huge.png",
            noise_png(size_limit_bytes + 1024),
            "ImageTooLargeException",
        ),
    }


def write_corpus(folder: Path, cases: dict[str, tuple[str, bytes, str]]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (file_name, data, _code) in cases.items():
        path = folder / f"{name}-{file_name}"
        path.write_bytes(data)
        paths[name] = path
    return paths
