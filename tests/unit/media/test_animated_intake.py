"""Intake of animated and multi-page images: every frame is decoded, display times are right,
damaged frames and frame bombs are refused with their own codes."""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image

from corpus import animation_bytes, gif_frame_bomb, multipage_tiff
from modgate.errors import ModgateError
from modgate.media import MediaLimits, inspect_bytes
from modgate.media.inspect import inspect_and_decode
from modgate.settings import Settings

RED = (255, 0, 0)
BLUE = (0, 0, 255)
GRAPHIC_CONTROL = b"\x21\xf9\x04"


def refusal(data: bytes, limits: MediaLimits | None = None) -> ModgateError:
    with pytest.raises(ModgateError) as caught:
        inspect_bytes(data, limits)
    assert 400 <= caught.value.http_status < 500
    return caught.value


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_duration_is_the_sum_of_the_frames_display_times(fmt: str) -> None:
    info = inspect_bytes(animation_bytes(fmt, [(None, 100), (RED, 1500), (None, 250)]))
    assert info.animated and info.frame_count == 3
    assert info.duration_seconds == pytest.approx(1.85)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_frames_without_a_delay_count_as_browsers_show_them(fmt: str) -> None:
    # Browsers show a delay of 0 (or up to 10 ms) for 100 ms.
    info = inspect_bytes(animation_bytes(fmt, [(None, 0), (RED, 0), (None, 10), (BLUE, 20)]))
    assert info.duration_seconds == pytest.approx(0.32)


def test_pages_of_a_tiff_are_frames_without_a_duration() -> None:
    info = inspect_bytes(multipage_tiff([None, RED, None]))
    assert info.animated and info.frame_count == 3
    assert info.duration_seconds is None


def test_the_decoded_frame_is_the_first_after_every_frame_was_decoded() -> None:
    data = animation_bytes("GIF", [(BLUE, 100), (RED, 1000), (None, 1000)])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.gif"
        path.write_bytes(data)
        info, decoded = inspect_and_decode(path)
    assert info.frame_count == 3
    assert decoded is not None
    assert decoded.convert("RGB").getpixel((5, 5)) == BLUE


def test_an_animated_gif_cut_short_is_refused_at_intake() -> None:
    gif = animation_bytes("GIF", [(None, 100), (None, 200), (None, 300), (None, 400)])
    for cut in (len(gif) // 4, len(gif) * 7 // 10, len(gif) - 200):
        assert refusal(gif[:cut]).code == "TruncatedMediaException", cut


def test_an_animated_gif_cut_in_a_frame_header_is_refused_as_truncated() -> None:
    gif = animation_bytes("GIF", [(None, 100), (None, 200), (None, 300), (None, 400)])
    third = 0
    for _frame in range(3):
        third = gif.index(GRAPHIC_CONTROL, third + 1)
    # Inside the graphic control block; just after the image descriptor (its LZW code size
    # byte missing).
    for cut in (third + 5, third + 8 + 10):
        assert gif[third + 8] == 0x2C  # the frame's image descriptor follows its control block
        assert refusal(gif[:cut]).code == "TruncatedMediaException", cut


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_other_animations_cut_short_are_refused_as_truncated(fmt: str) -> None:
    data = animation_bytes(fmt, [(None, 100), (None, 200), (None, 300)])
    assert refusal(data[: len(data) * 7 // 10]).code == "TruncatedMediaException"


def test_a_multipage_tiff_cut_short_is_refused_as_truncated() -> None:
    tiff = multipage_tiff([None, None, None, None])
    for cut in (len(tiff) // 2, len(tiff) * 9 // 10):
        assert refusal(tiff[:cut]).code == "TruncatedMediaException", cut


def test_a_frame_bomb_is_refused_from_its_headers_at_once() -> None:
    bomb = gif_frame_bomb(8000, 8000, 300)  # 19.2 billion pixels of compositing
    assert len(bomb) < 10_000
    started = time.monotonic()
    error = refusal(bomb)
    assert error.code == "DecompressionBombException" and error.http_status == 413
    assert time.monotonic() - started < 1.0


def test_the_total_pixel_limit_is_configurable() -> None:
    data = animation_bytes("GIF", [(None, 100)] * 4)  # 4 × 160 × 120 = 76,800 pixels
    assert inspect_bytes(data, MediaLimits(max_animation_pixels=76_800)).frame_count == 4
    assert refusal(data, MediaLimits(max_animation_pixels=76_799)).code == (
        "DecompressionBombException"
    )
    # A still image is bound by the per-image limit only.
    assert inspect_bytes(multipage_tiff([None]), MediaLimits(max_animation_pixels=1)).width == 160


def test_the_default_limit_admits_long_ordinary_animations() -> None:
    thirty_seconds_of_720p_at_15_fps = 1280 * 720 * 15 * 30
    assert MediaLimits().max_animation_pixels >= 2 * thirty_seconds_of_720p_at_15_fps
    assert Settings().max_animation_pixels == MediaLimits().max_animation_pixels
    assert MediaLimits.from_settings(Settings(max_animation_pixels=5)).max_animation_pixels == 5


def test_a_later_frame_larger_than_the_first_is_checked_before_it_is_decoded() -> None:
    pages = [Image.new("RGB", (100, 100), BLUE), Image.new("RGB", (2000, 2000), RED)]
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:])
    # 2 × 100 × 100 from the first page's header is under the limit; the second page is not.
    limits = MediaLimits(max_animation_pixels=1_000_000)
    assert refusal(out.getvalue(), limits).code == "DecompressionBombException"
    assert refusal(out.getvalue(), MediaLimits(max_image_side=1999)).code == (
        "ImageTooLargeException"
    )


def test_a_small_later_page_is_accepted() -> None:
    # Multi-page TIFFs often carry a small thumbnail page; only the first page must be large.
    pages = [Image.new("RGB", (200, 200), BLUE), Image.new("RGB", (8, 8), BLUE)]
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:])
    assert inspect_bytes(out.getvalue()).frame_count == 2
