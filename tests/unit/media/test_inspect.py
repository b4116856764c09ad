"""Real-type detection and limits, on generated media of every supported type."""

from __future__ import annotations

import pytest

from corpus import bad_corpus, image_bytes, png_declaring, valid_corpus
from modgate.errors import ModgateError
from modgate.media import MediaLimits, inspect_bytes

VALID = valid_corpus()
BAD = bad_corpus()


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_supported_type_is_recognised(name: str) -> None:
    _file_name, data, kind, fmt = VALID[name]
    info = inspect_bytes(data)
    assert (info.kind, info.format) == (kind, fmt)
    assert info.size_bytes == len(data)
    assert len(info.sha256) == 64
    if kind == "image":
        assert (info.width, info.height) == (320, 240)
    else:
        assert (info.width, info.height) == (160, 120)
        assert info.duration_seconds == pytest.approx(2.0, abs=0.15)
        assert info.codec


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_gets_its_specific_code(name: str) -> None:
    _file_name, data, code = BAD[name]
    with pytest.raises(ModgateError) as caught:
        inspect_bytes(data)
    assert caught.value.code == code
    assert 400 <= caught.value.http_status < 500


def test_type_comes_from_bytes_not_name() -> None:
    # A PNG called .jpg is a PNG; a text file called .jpg is refused.
    assert inspect_bytes(image_bytes("PNG")).format == "PNG"


def test_animated_gif_counts_frames_and_duration() -> None:
    info = inspect_bytes(VALID["gif"][1])
    assert info.animated and info.frame_count == 3
    assert info.duration_seconds == pytest.approx(0.3)


def test_limits_are_configurable() -> None:
    data = image_bytes("PNG", 400, 300)
    with pytest.raises(ModgateError) as caught:
        inspect_bytes(data, MediaLimits(max_image_side=399))
    assert caught.value.code == "ImageTooLargeException"
    with pytest.raises(ModgateError) as caught:
        inspect_bytes(data, MediaLimits(max_image_pixels=100_000))
    assert caught.value.code == "DecompressionBombException"
    with pytest.raises(ModgateError) as caught:
        inspect_bytes(VALID["mp4"][1], MediaLimits(max_video_seconds=1.0))
    assert caught.value.code == "VideoTooLongException"
    with pytest.raises(ModgateError) as caught:
        inspect_bytes(VALID["mp4"][1], MediaLimits(max_video_bytes=1000))
    assert caught.value.code == "VideoTooLargeException"


def test_bomb_is_refused_from_the_header_alone() -> None:
    # 50,000 x 50,000 RGB would need 7.5 GB decoded; refusing must not try.
    with pytest.raises(ModgateError) as caught:
        inspect_bytes(png_declaring(50_000, 50_000))
    assert caught.value.code == "DecompressionBombException"


def test_reduced_decode_still_catches_truncation() -> None:
    import tempfile
    from pathlib import Path

    from modgate.media.inspect import inspect_and_decode

    data = image_bytes("JPEG", 2000, 1500)
    with tempfile.TemporaryDirectory() as folder:
        whole = Path(folder) / "whole.jpg"
        whole.write_bytes(data)
        info, decoded = inspect_and_decode(whole, decode_side=640)
        assert (info.width, info.height) == (2000, 1500)  # the real size, not the decoded one
        assert decoded is not None and 640 <= max(decoded.size) < 2000
        cut = Path(folder) / "cut.jpg"
        cut.write_bytes(data[: len(data) * 2 // 3])
        with pytest.raises(ModgateError) as caught:
            inspect_and_decode(cut, decode_side=640)
        assert caught.value.code == "TruncatedMediaException"


def test_draft_picks_the_smallest_scale_that_is_large_enough() -> None:
    import io

    from PIL import Image

    from modgate.media.scale import draft_long_side

    for size, side, expected in [
        ((1024, 768), 512, (512, 384)),
        ((1024, 768), 513, (1024, 768)),
        ((4000, 3000), 512, (1000, 750)),
        ((4000, 3000), 500, (500, 375)),
        ((1023, 767), 512, (512, 384)),
    ]:
        out = io.BytesIO()
        Image.new("RGB", size, (90, 90, 90)).save(out, "JPEG")
        image = Image.open(io.BytesIO(out.getvalue()))
        draft_long_side(image, side)
        image.load()
        assert image.size == expected, (size, side)
