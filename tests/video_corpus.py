"""Videos made by code for the tests of video handling: exact frames at exact times (variable
frame rate, a late start, B-frame slideshows), a display rotation, a damaged packet.

Nothing is downloaded. Frames are RGB arrays; ``RED`` frames trigger the marker test detector.
"""

from __future__ import annotations

import io
import struct
import tempfile
from collections.abc import Container, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from corpus import gradient_image

RED = (255, 0, 0)
MS = Fraction(1, 1000)


def still(width: int = 160, height: int = 120, seed: int = 0) -> np.ndarray:
    """A noisy gradient, distinct per seed (never mistaken for the marker colour)."""
    return np.asarray(gradient_image(width, height, seed))


def solid(colour: tuple[int, int, int], width: int = 160, height: int = 120) -> np.ndarray:
    return np.full((height, width, 3), colour, dtype=np.uint8)


def clip_bytes(
    frames: Sequence[np.ndarray],
    pts_ms: Sequence[int] | None = None,
    fps: int | Fraction = 10,
    container: str = "mp4",
    codec: str = "libx264",
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
    damaged_packets: Container[int] = (),
) -> bytes:
    """``frames`` at ``fps``, or each at its ``pts_ms`` (milliseconds; variable frame rate or a
    late start). ``damaged_packets``: the first bytes of these packets (decoding order) are
    overwritten, the container around it left intact, as a disk or network error would (not
    for H.264, whose muxer rewrites the packet's start: see ``damaged_mp4``)."""
    # A real file: faststart rewrites the file once it is complete.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip"
        _write(
            path, frames, pts_ms, fps, container, codec, options, container_options, damaged_packets
        )
        return path.read_bytes()


def _write(
    path: Path,
    frames: Sequence[np.ndarray],
    pts_ms: Sequence[int] | None,
    fps: int | Fraction,
    container: str,
    codec: str,
    options: dict[str, str] | None,
    container_options: dict[str, str] | None,
    damaged_packets: Container[int],
) -> None:
    with av.open(str(path), mode="w", format=container, options=container_options or {}) as output:
        stream = output.add_stream(codec, rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = options or {}
        time_base = MS if pts_ms is not None else Fraction(1) / Fraction(fps)
        stream.codec_context.time_base = time_base
        stream.time_base = time_base
        packets: list[av.Packet] = []
        for index, array in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            frame.pts = pts_ms[index] if pts_ms is not None else index
            frame.time_base = time_base
            packets.extend(stream.encode(frame))
        packets.extend(stream.encode())
        for index, packet in enumerate(packets):
            output.mux(_damaged(packet) if index in damaged_packets else packet)


def _damaged(packet: av.Packet) -> av.Packet:
    copy = av.Packet(b"\xff" * 8 + bytes(packet)[8:])
    copy.pts, copy.dts, copy.time_base = packet.pts, packet.dts, packet.time_base
    copy.stream, copy.is_keyframe = packet.stream, packet.is_keyframe
    return copy


# x264 with a fixed B-frame pattern (I B b B P ...; the outer Bs of each run are not
# references), whatever the pictures: its adaptive choice could turn a distinct slide into a
# reference frame and make a test of non-reference frames pass for the wrong reason.
FIXED_B_FRAMES = {"x264-params": "bframes=3:b-adapt=0:b-pyramid=normal:scenecut=0"}


def rotated_mp4(data: bytes, degrees: int) -> bytes:
    """``data`` (an MP4 of one video track) with a display matrix turning it ``degrees``
    clockwise (90 or 270), as phones store portrait video."""
    one, minus_one = 0x00010000, 0xFFFF0000
    identity = struct.pack(">9I", one, 0, 0, 0, one, 0, 0, 0, 0x40000000)
    turn = {90: (0, one, minus_one, 0), 270: (0, minus_one, one, 0)}[degrees]
    matrix = struct.pack(">9I", turn[0], turn[1], 0, turn[2], turn[3], 0, 0, 0, 0x40000000)
    header = data.index(b"tkhd")
    at = data.index(identity, header)
    assert at - header < 100, "the identity matrix found is not the track header's"
    return data[:at] + matrix + data[at + len(matrix) :]


def damaged_mp4(data: bytes, packet_index: int) -> bytes:
    """An MP4 with the first 8 bytes of one video packet overwritten (for H.264: a NAL unit
    length that runs past the packet, which the decoder refuses)."""
    with av.open(io.BytesIO(data)) as container:
        packets = [p for p in container.demux(container.streams.video[0]) if p.size]
        start = packets[packet_index].pos
    assert start is not None
    return data[:start] + b"\xff" * 8 + data[start + 8 :]


def decoded_times_ms(data: bytes, skip_nonref: bool = False) -> list[int]:
    """Presentation times of the frames a plain decode returns (optionally skipping
    non-reference frames), for checking a test clip is built as the test needs."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        if skip_nonref:
            stream.codec_context.skip_frame = "NONREF"
        return [
            round(frame.time * 1000) for frame in container.decode(stream) if frame.time is not None
        ]


def is_red(image: object) -> bool:
    """Mostly marker red (as the marker detector sees it)."""
    pixels = np.asarray(image, dtype=np.int16)[..., :3]
    close = np.abs(pixels - np.array(RED)).max(axis=-1) <= 60
    return bool(close.mean() >= 0.5)
