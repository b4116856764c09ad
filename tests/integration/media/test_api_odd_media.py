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
