"""Two kinds of pictures for custom-label tests, always available offline: photographs (crops of
scikit-image's and scikit-learn's sample photos, each a different scene) and abstract art
(flat-coloured shapes on a flat ground, drawn with a seeded generator)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

TRAINING_SCENES = ("astronaut", "coffee", "chelsea", "rocket", "camera")
HELD_OUT_SCENES = ("sklearn-china", "sklearn-flower", "cat", "immunohistochemistry")


def scene(name: str) -> Image.Image:
    if name.startswith("sklearn-"):
        from sklearn.datasets import load_sample_image

        return Image.fromarray(load_sample_image(f"{name.removeprefix('sklearn-')}.jpg"))
    from skimage import data

    return Image.fromarray(getattr(data, name)()).convert("RGB")


def photo_crops(scenes: tuple[str, ...], per_scene: int, seed: int) -> list[Image.Image]:
    """Random crops (40–90 % of each side), half of them mirrored, of each scene."""
    generator = np.random.default_rng(seed)
    crops = []
    for name in scenes:
        picture = scene(name)
        width, height = picture.size
        for _ in range(per_scene):
            share = generator.uniform(0.4, 0.9)
            crop_width, crop_height = int(width * share), int(height * share)
            left = int(generator.integers(0, width - crop_width + 1))
            top = int(generator.integers(0, height - crop_height + 1))
            crop = picture.crop((left, top, left + crop_width, top + crop_height))
            if generator.random() < 0.5:
                crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            crops.append(crop)
    return crops


def abstract_art(count: int, seed: int) -> list[Image.Image]:
    """Compositions of 3–8 flat-coloured ellipses and rectangles on a flat ground."""
    generator = np.random.default_rng(seed)

    def colour() -> tuple[int, int, int]:
        red, green, blue = (int(value) for value in generator.integers(0, 256, 3))
        return red, green, blue

    pictures = []
    for _ in range(count):
        picture = Image.new("RGB", (320, 240), colour())
        draw = ImageDraw.Draw(picture)
        for _ in range(int(generator.integers(3, 9))):
            left, top = (int(v) for v in generator.integers(0, 260, 2))
            box = (
                left,
                top,
                left + int(generator.integers(20, 160)),
                top + int(generator.integers(20, 120)),
            )
            shape = draw.ellipse if generator.random() < 0.5 else draw.rectangle
            shape(box, fill=colour())
        pictures.append(picture)
    return pictures


def write_folder(folder: Path, pictures: list[Image.Image]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, picture in enumerate(pictures):
        picture.save(folder / f"{index:03d}.jpg", quality=90)
    return folder


def jpeg(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
