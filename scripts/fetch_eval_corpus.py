"""Build the false-flag evaluation corpus: ordinary pictures that ship in packages.

Debian's wallpaper packages (``gnome-backgrounds``, ``plasma-workspace-wallpapers``,
``lomiri-wallpapers``, ``desktop-base``), darknet's sample photos, and scikit-image's and
scikit-learn's sample images: landscapes, flowers, wood, water, abstract colour gradients, animals,
people, objects. None of them shows anything a moderation policy acts on, so every label a
detector gives them at or above a policy threshold is a false flag.

Each distinct picture (the same picture at several resolutions counts once) is written whole, at
most 1024 px on its long side; a picture of at least 1600 px also gives the four quarters of its
central 80 % as close-ups of their own (a user's crop of a wallpaper is as ordinary a photo as the
wallpaper). Nothing is committed: the packages are fetched with ``apt-get download`` into a cache
folder, the corpus is written to another, with ``labels.csv`` (``file,labels``, every row empty:
no label is true) for ``modgate eval``::

    python scripts/fetch_eval_corpus.py --cache /tmp/modgate-cache --output /tmp/corpus
    modgate eval /tmp/corpus --labels /tmp/corpus/labels.csv --output /tmp/corpus-report

Run ``apt-get update`` first on a fresh machine.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

PACKAGES = (
    "gnome-backgrounds",
    "plasma-workspace-wallpapers",
    "lomiri-wallpapers",
    "desktop-base",
    "darknet",
)
RASTER = {".jpg", ".jpeg", ".png", ".webp"}
MIN_SIDE = 400  # icons, logos and glyphs are not photographs
MAX_SIDE = 1024
CROP_FROM = 1600
HASH_SIDE = 16
SAME_PICTURE = 12  # Hamming distance of 256-bit difference hashes under which two files are one


def fetch_packages(cache: Path) -> Path:
    """Download and unpack the packages into ``cache`` (kept: a second run downloads nothing)."""
    debs, unpacked = cache / "debs", cache / "unpacked"
    debs.mkdir(parents=True, exist_ok=True)
    missing = [name for name in PACKAGES if not list(debs.glob(f"{name}_*.deb"))]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)
    if not unpacked.exists():
        unpacked.mkdir()
        for deb in sorted(debs.glob("*.deb")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    return unpacked


def package_pictures(unpacked: Path) -> Iterator[tuple[str, Path]]:
    roots = ("usr/share/backgrounds", "usr/share/wallpapers", "usr/share/desktop-base")
    for root in roots:
        for path in sorted((unpacked / root).rglob("*")):
            if path.suffix.lower() in RASTER and path.is_file() and not path.is_symlink():
                parts = path.relative_to(unpacked / root).with_suffix("").parts
                yield "-".join((root.rsplit("/", 1)[-1], *parts)), path
    for path in sorted((unpacked / "usr/share/darknet/data").glob("*.jpg")):
        yield f"darknet-{path.stem}", path


def library_pictures() -> Iterator[tuple[str, Image.Image]]:
    from skimage import data
    from sklearn.datasets import load_sample_images

    for name in (
        "astronaut", "brick", "camera", "cat", "chelsea", "coffee", "coins", "colorwheel",
        "grass", "gravel", "horse", "hubble_deep_field", "immunohistochemistry", "moon", "page",
        "retina", "rocket", "text",
    ):  # fmt: skip
        yield f"skimage-{name}", Image.fromarray(np.asarray(getattr(data, name)()))
    left, right, _ = data.stereo_motorcycle()
    yield "skimage-motorcycle-left", Image.fromarray(left)
    yield "skimage-motorcycle-right", Image.fromarray(right)
    bunch = load_sample_images()
    for file_name, array in zip(bunch.filenames, bunch.images, strict=True):
        yield f"sklearn-{Path(file_name).stem}", Image.fromarray(array)


def difference_hash(image: Image.Image) -> int:
    size = HASH_SIDE + 1, HASH_SIDE
    grey = np.asarray(image.convert("L").resize(size, Image.Resampling.BILINEAR), np.int16)
    bits = (grey[:, 1:] > grey[:, :-1]).flatten()
    return int("".join("1" if bit else "0" for bit in bits), 2)


def views(name: str, image: Image.Image) -> Iterator[tuple[str, Image.Image]]:
    """The whole picture, and for a large one the quarters of its central 80 %."""
    width, height = image.size
    yield name, image.copy()
    if max(width, height) < CROP_FROM:
        return
    left, top = width // 10, height // 10
    half_w, half_h = (width - 2 * left) // 2, (height - 2 * top) // 2
    for row in range(2):
        for column in range(2):
            x, y = left + column * half_w, top + row * half_h
            yield f"{name}-q{row}{column}", image.crop((x, y, x + half_w, y + half_h))


def build(cache: Path, output: Path) -> int:
    unpacked = fetch_packages(cache)
    output.mkdir(parents=True, exist_ok=True)
    # name → (pixels, difference hash, how to load it); pictures are loaded one at a time.
    sources: list[tuple[str, int, int, Callable[[], Image.Image]]] = []
    for name, path in package_pictures(unpacked):
        with Image.open(path) as opened:
            if min(opened.size) < MIN_SIDE:
                continue
            pixels = opened.size[0] * opened.size[1]
            opened.draft("RGB", (256, 256))
            digest = difference_hash(opened)
        sources.append((name, pixels, digest, partial(_load, path)))
    for name, image in library_pictures():
        sources.append(
            (name, image.size[0] * image.size[1], difference_hash(image), partial(_same, image))
        )
    # The same picture at several sizes counts once: keep its largest file.
    sources.sort(key=lambda source: -source[1])
    kept: list[tuple[str, Callable[[], Image.Image]]] = []
    hashes: list[int] = []
    for name, _, digest, load in sources:
        if any(bin(digest ^ other).count("1") <= SAME_PICTURE for other in hashes):
            continue
        hashes.append(digest)
        kept.append((name, load))
    kept.sort(key=lambda pair: pair[0])
    rows = []
    for name, load in kept:
        for view_name, view in views(name, load()):
            view.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            file_name = f"{view_name}.jpg"
            view.save(output / file_name, quality=92)
            rows.append(file_name)
    with (output / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "labels"])
        writer.writerows([file_name, ""] for file_name in rows)
    print(f"{len(kept)} distinct pictures, {len(rows)} images in {output}", file=sys.stderr)
    return len(rows)


def _load(path: Path) -> Image.Image:
    with Image.open(path) as opened:
        return opened.convert("RGB")


def _same(image: Image.Image) -> Image.Image:
    return image.convert("RGB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, required=True, help="folder for the packages")
    parser.add_argument("--output", type=Path, required=True, help="folder for the corpus")
    arguments = parser.parse_args()
    build(arguments.cache, arguments.output)


if __name__ == "__main__":
    main()
