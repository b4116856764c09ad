"""Real photos that ship in packages, and one loaded engine shared by the detection tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from modgate.detection.cache import InMemoryDetectionCache
from modgate.detection.engine import DetectionEngine
from modgate.settings import Settings


def skimage_photos() -> dict[str, Image.Image]:
    from skimage import data

    photos = {}
    for name in ("astronaut", "coffee", "chelsea", "rocket", "camera", "page", "cat"):
        array = getattr(data, name)()
        photos[f"skimage-{name}"] = Image.fromarray(array)
    return photos


def sklearn_photos() -> dict[str, Image.Image]:
    from sklearn.datasets import load_sample_images

    bunch = load_sample_images()
    return {
        f"sklearn-{Path(name).stem}": Image.fromarray(image)
        for name, image in zip(bunch.filenames, bunch.images, strict=True)
    }


@pytest.fixture(scope="session")
def darknet_photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Image.Image]:
    """Debian's darknet sample photos (dog, eagle, giraffe, horses, kite, person, scream),
    fetched with ``apt-get download``; the tests using them skip when apt cannot fetch it."""
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        pytest.skip("apt-get/dpkg not available")
    folder = tmp_path_factory.mktemp("darknet")
    fetched = subprocess.run(
        ["apt-get", "download", "darknet"], cwd=folder, capture_output=True, timeout=120
    )
    packages = list(folder.glob("darknet_*.deb"))
    if fetched.returncode != 0 or not packages:
        pytest.skip("cannot download Debian's darknet package here")
    subprocess.run(["dpkg", "-x", str(packages[0]), str(folder / "x")], check=True)
    images = sorted((folder / "x" / "usr" / "share" / "darknet" / "data").glob("*.jpg"))
    return {f"darknet-{path.stem}": Image.open(path).convert("RGB") for path in images}


@pytest.fixture(scope="session")
def safe_photos() -> dict[str, Image.Image]:
    return {**skimage_photos(), **sklearn_photos()}


@pytest.fixture(scope="session")
def engine() -> Iterator[DetectionEngine]:
    """The default detector set (everything installed except OCR), loaded once."""
    with DetectionEngine.from_settings(Settings(), cache=InMemoryDetectionCache()) as loaded:
        yield loaded


@pytest.fixture(scope="session")
def large_photo() -> Image.Image:
    """A 1024 × 768 photo (skimage's astronaut scaled up), the benchmark's size."""
    from skimage import data

    return Image.fromarray(np.asarray(data.astronaut())).resize((1024, 768))
