from __future__ import annotations

import io

from PIL import Image

from modgate.media.previews import to_rgb


def test_phone_photo_tagged_rotated_comes_upright() -> None:
    image = Image.new("RGB", (200, 100), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    upright = to_rgb(Image.open(io.BytesIO(out.getvalue())))
    assert upright.size == (100, 200) and upright.mode == "RGB"


def test_transparency_is_flattened_onto_white_and_rgb_is_not_copied() -> None:
    clear = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    assert to_rgb(clear).getpixel((1, 1)) == (255, 255, 255)
    plain = Image.new("RGB", (50, 40), (1, 2, 3))
    assert to_rgb(plain) is plain
    grey = Image.new("L", (50, 40), 7)
    assert to_rgb(grey).getpixel((0, 0)) == (7, 7, 7)
