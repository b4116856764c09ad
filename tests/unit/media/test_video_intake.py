"""Video intake: an MP4 with bytes after its end plays and is accepted; one cut short is not."""

from __future__ import annotations

import random
import struct

import pytest

from corpus import video_bytes
from modgate.errors import ModgateError
from modgate.media import inspect_bytes
from video_corpus import clip_bytes, still

MOOV_AT_END = video_bytes("mp4", "libx264", seconds=2.0)  # PyAV writes the moov box last
FASTSTART = clip_bytes(
    [still(seed=i) for i in range(20)], container_options={"movflags": "faststart"}
)
FRAGMENTED = clip_bytes(
    [still(seed=i) for i in range(20)], container_options={"movflags": "frag_keyframe+empty_moov"}
)


MP4S = pytest.mark.parametrize(
    "data", [MOOV_AT_END, FASTSTART, FRAGMENTED], ids=["moov-at-end", "faststart", "fragmented"]
)


@MP4S
@pytest.mark.parametrize(
    "junk",
    [random.Random(3).randbytes(4000), b"\x00" * 3, b"\x00\x00\x00\x04abcd", b"<?php echo 1; ?>"],
    ids=["random", "short", "malformed-box", "text"],
)
def test_junk_after_a_complete_mp4_is_accepted(data: bytes, junk: bytes) -> None:
    info = inspect_bytes(data + junk)
    assert info.kind == "video" and info.duration_seconds == pytest.approx(2.0, abs=0.15)


@MP4S
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_an_mp4_cut_short_is_refused(data: bytes, keep: float) -> None:
    with pytest.raises(ModgateError) as caught:
        inspect_bytes(data[: int(len(data) * keep)])
    assert caught.value.code == "TruncatedMediaException"


def test_a_box_running_past_the_end_is_truncation_even_after_a_complete_file() -> None:
    # What follows the file starts like an mdat box larger than what is left: part of the
    # video (appended media data), cut short, not junk.
    tail = struct.pack(">I4s", 100_000, b"mdat") + b"\x00" * 1000
    with pytest.raises(ModgateError) as caught:
        inspect_bytes(FASTSTART + tail)
    assert caught.value.code == "TruncatedMediaException"
