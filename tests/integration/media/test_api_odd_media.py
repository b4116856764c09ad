"""Files real uploaders send that the corpus of ``test_api_media`` does not hold, over real
HTTP: each gets a moderation or a 4xx with a stable code whose message says what is wrong
with the file and nothing about the server (its folders, its objects)."""

from __future__ import annotations

import io
import random

import httpx
import pytest
from PIL import Image

NOISE = random.Random(11).randbytes(5000)


def _png_with_bad_crc() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(out, format="PNG")
    data = bytearray(out.getvalue())
    data[29] ^= 0xFF  # the IHDR chunk's CRC
    return bytes(data)


CORRUPT = {
    "tiff_header_then_noise": ("scan.tif", b"II*\x00" + NOISE),
    "webm_header_then_noise": ("clip.webm", b"\x1a\x45\xdf\xa3webm" + NOISE),
    "png_with_a_bad_checksum": ("photo.png", _png_with_bad_crc()),
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_a_corrupt_file_is_named_corrupt_without_server_paths(
    live_server, settings, name: str
) -> None:  # type: ignore[no-untyped-def]
    file_name, data = CORRUPT[name]
    answer = httpx.post(
        f"{live_server.url}/v1/moderations?wait=true", files={"file": (file_name, data)}, timeout=60
    )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "CorruptMediaException"
    assert "cannot be" in error["message"]
    for detail in (str(settings.data_dir), "/", " at 0x"):
        assert detail not in error["message"]


def _avif(*colours: tuple[int, int, int]) -> bytes:
    frames = [Image.new("RGB", (160, 120), colour) for colour in colours]
    out = io.BytesIO()
    frames[0].save(out, format="AVIF", save_all=True, append_images=frames[1:], duration=250)
    return out.getvalue()


def test_avif_stills_and_animations_are_moderated(live_server) -> None:  # type: ignore[no-untyped-def]
    """Pillow reads AVIF, so modgate does: a still, and an animation frame by frame."""
    still = httpx.post(
        f"{live_server.url}/v1/moderations?wait=true",
        files={"file": ("photo.avif", _avif((255, 0, 0)))},
        timeout=60,
    )
    assert still.status_code == 201, still.text
    media = still.json()["media"]
    assert (media["format"], media["mime"], media["width"], media["animated"]) == (
        "AVIF",
        "image/avif",
        160,
        False,
    )
    assert "Explicit" in {label["Name"] for label in still.json()["labels"]}
    animated = httpx.post(
        f"{live_server.url}/v1/moderations?wait=true",
        files={"file": ("clip.avif", _avif((30, 90, 200), (255, 0, 0), (30, 90, 200)))},
        timeout=60,
    )
    assert animated.status_code == 201, animated.text
    media = animated.json()["media"]
    assert (media["frame_count"], media["duration_seconds"], media["animated"]) == (3, 0.75, True)
    preview = httpx.get(f"{live_server.url}/v1/media/{media['id']}/preview?blurred=true")
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"


def test_heic_is_refused_as_unsupported(live_server) -> None:  # type: ignore[no-untyped-def]
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + NOISE
    answer = httpx.post(
        f"{live_server.url}/v1/moderations", files={"file": ("IMG_0001.HEIC", heic)}
    )
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "UnsupportedMediaTypeException"
    assert "HEIF" in answer.json()["error"]["message"]


def test_the_labels_route_says_what_a_moderation_is_instead(live_server) -> None:  # type: ignore[no-untyped-def]
    """A timeline's labels route names a text as a text, not as a still image."""
    made = httpx.post(
        f"{live_server.url}/v1/moderations?wait=true", json={"text": "hello there"}, timeout=60
    )
    answer = httpx.get(f"{live_server.url}/v1/moderations/{made.json()['id']}/labels")
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].startswith("This moderation is a text;")


def _grey_file(mode: str, value: float, file_format: str) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (64, 48), value).save(out, format=file_format)
    return out.getvalue()


@pytest.mark.parametrize(
    ("mode", "value", "file_format"),
    [("I;16", 16384, "PNG"), ("I;16", 16384, "TIFF"), ("I", 16384, "TIFF"), ("F", 0.25, "TIFF")],
)
def test_deep_grey_images_are_seen_as_they_look(  # type: ignore[no-untyped-def]
    live_server, mode: str, value: float, file_format: str
) -> None:
    """A 16-bit, 32-bit or floating-point grey picture at a quarter of its range is dark grey
    to its viewer; it was read as white (every value over 255 clipped), so the detectors saw a
    blank picture. Its preview is what they see."""
    made = httpx.post(
        f"{live_server.url}/v1/moderations?wait=true",
        files={"file": (f"scan.{file_format.lower()}", _grey_file(mode, value, file_format))},
        timeout=60,
    )
    assert made.status_code == 201, made.text
    preview = httpx.get(f"{live_server.url}/v1/media/{made.json()['media']['id']}/preview")
    assert preview.status_code == 200
    grey = Image.open(io.BytesIO(preview.content)).convert("L").getextrema()
    assert grey[0] >= 50 and grey[1] <= 80, grey  # a quarter of 255, give or take JPEG
