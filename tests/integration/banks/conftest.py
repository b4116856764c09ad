"""A live server with hash banks, on SQLite and on PostgreSQL (one per module and database),
two tenants' API keys, and the photos and videos the bank tests hash: photos that ship in
scikit-image, and their near-copies made in code."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw

from modgate.app import create_app
from modgate.auth.models import SCOPES
from modgate.services import Services
from modgate.settings import load_settings
from servers import LiveServer
from video_corpus import clip_bytes

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "cat")


@dataclass
class Banked:
    url: str
    a: httpx.Client  # tenant acme, every scope
    b: httpx.Client  # tenant globex, every scope
    services: Any
    key_a: str


def _module_database(request: pytest.FixtureRequest, tmp: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp / 'modgate.db'}"
        return
    admin_url = request.getfixturevalue("postgres_server")
    name = f"modgate_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def banked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Banked]:
    tmp = tmp_path_factory.mktemp("banks")
    for url in _module_database(request, tmp):
        settings = load_settings(
            data_dir=tmp / "data",
            database_url=url,
            detection={"enabled": ["marker"]},
            pipeline={"workers": 1, "poll_seconds": 0.1},
            banks={"max_import_entries": 50, "skip_detection_distance": 0},
        )
        services = Services.build(settings)
        key_a = services.auth.create_key("curator", SCOPES, "acme")[0]
        key_b = services.auth.create_key("curator", SCOPES, "globex")[0]
        with LiveServer(create_app(settings, services)) as live:
            headers_a = {"Authorization": f"Bearer {key_a}"}
            headers_b = {"Authorization": f"Bearer {key_b}"}
            with (
                httpx.Client(base_url=live.url, headers=headers_a, timeout=60) as a,
                httpx.Client(base_url=live.url, headers=headers_b, timeout=60) as b,
            ):
                yield Banked(live.url, a, b, services, key_a)
        services.close()


def photo(name: str) -> Image.Image:
    from skimage import data

    return Image.fromarray(np.asarray(getattr(data, name)())).convert("RGB")


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def near_copies(image: Image.Image) -> dict[str, bytes]:
    """What a re-uploader does to a picture: halve it, recompress it hard, crop a sliver off
    each side, stamp a watermark, mirror it."""
    width, height = image.size
    marked = image.copy()
    ImageDraw.Draw(marked).text((12, height - 24), "reposted by @someone", fill=(255, 255, 255))
    dx, dy = width // 100, height // 100
    return {
        "half size": jpeg(image.resize((width // 2, height // 2), Image.Resampling.LANCZOS)),
        "JPEG quality 50": jpeg(image, 50),
        "1% cropped off each side": jpeg(image.crop((dx, dy, width - dx, height - dy))),
        "watermark text": jpeg(marked),
        "mirrored": jpeg(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
    }


def red_tinted(name: str, quality: int = 90) -> bytes:
    """A photo in shades of red: the marker detector flags it, PDQ still sees the photo."""
    grey = np.asarray(photo(name).convert("L"), dtype=np.float32) / 255
    red = np.stack([196 + 58 * grey, 58 * grey, 58 * grey], axis=-1).astype(np.uint8)
    return jpeg(Image.fromarray(red), quality)


def slideshow(names: tuple[str, ...], side: int = 256, fps: int = 2) -> bytes:
    """A video showing each photo for one second."""
    frames = [
        np.asarray(photo(name).resize((side, side * 3 // 4))) for name in names for _ in range(fps)
    ]
    return clip_bytes(frames, fps=fps)
