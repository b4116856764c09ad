"""Animated and multi-page images through the real service: content after the first frame is
found and decided on; damaged files and frame bombs are refused at upload and leave nothing."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from corpus import Frame, animation_bytes, gif_frame_bomb, multipage_tiff
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationRow
from modgate.pipeline.tables import JobRow
from pipeline_helpers import RED, wait_decided

EXTENSIONS = {"GIF": "gif", "WEBP": "webp", "PNG": "png"}


def moderate(url: str, name: str, data: bytes) -> dict[str, Any]:
    response = httpx.post(f"{url}/v1/moderations", files={"file": (name, data)}, timeout=60)
    assert response.status_code == 202, response.text
    return wait_decided(url, response.json()["id"])


def nudity(body: dict[str, Any]) -> list[tuple[int, int]]:
    return [
        (segment["StartTimestampMillis"], segment["EndTimestampMillis"])
        for segment in body["segments"]
        if segment["ModerationLabel"]["Name"] == "Explicit Nudity"
    ]


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_a_second_frame_shown_across_a_sampling_time_is_blocked(deployment, fmt: str) -> None:  # type: ignore[no-untyped-def]
    # A benign first frame for 100 ms, then red from 100 ms to 1600 ms.
    data = animation_bytes(fmt, [(None, 100), (RED, 1500)])
    body = moderate(deployment.url, f"a.{EXTENSIONS[fmt]}", data)
    assert body["status"] == "completed" and body["media"]["animated"]
    assert body["media"]["duration_seconds"] == pytest.approx(1.6)
    assert body["action"] == "block"
    assert nudity(body) == [(100, 1600)]
    assert body["flagged_timestamps"] == [100]
    thumb = httpx.get(f"{deployment.url}/v1/moderations/{body['id']}/thumbnails/100")
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"


def test_a_short_flash_in_a_long_animation_is_blocked(live_server) -> None:  # type: ignore[no-untyped-def]
    # 8 s of 100 ms frames; red from 2.3 s to 2.6 s, between the samples at 2 s and 3 s.
    frames: list[Frame] = [(RED if 23 <= index < 26 else None, 100) for index in range(80)]
    body = moderate(live_server.url, "flash.gif", animation_bytes("GIF", frames))
    assert body["media"]["duration_seconds"] == pytest.approx(8.0)
    assert body["action"] == "block"
    assert nudity(body) == [(2300, 2600)]


def test_a_red_page_of_a_tiff_is_blocked(deployment) -> None:  # type: ignore[no-untyped-def]
    body = moderate(deployment.url, "scan.tif", multipage_tiff([None, None, RED, None]))
    assert body["media"]["frame_count"] == 4 and body["media"]["duration_seconds"] is None
    assert body["action"] == "block"
    assert body["flagged_timestamps"] == [2000]  # page 3, one sampling interval per page


def test_a_harmless_animation_is_allowed(live_server) -> None:  # type: ignore[no-untyped-def]
    frames: list[Frame] = [(None, 100)] * 20
    body = moderate(live_server.url, "calm.webp", animation_bytes("WEBP", frames))
    assert body["action"] == "allow" and not nudity(body)


def _cut_gif() -> bytes:
    gif = animation_bytes("GIF", [(None, 100), (None, 200), (None, 300), (None, 400)])
    return gif[: len(gif) * 7 // 10]


def _cut_tiff() -> bytes:
    tiff = multipage_tiff([None, None, None, None])
    return tiff[: len(tiff) // 2]


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("cut.gif", _cut_gif(), 400, "TruncatedMediaException"),
        ("cut.tif", _cut_tiff(), 400, "TruncatedMediaException"),
        ("bomb.gif", gif_frame_bomb(8000, 8000, 300), 413, "DecompressionBombException"),
    ],
    ids=["truncated-gif", "truncated-tiff", "frame-bomb"],
)
def test_damaged_animations_and_frame_bombs_are_refused_at_upload(  # type: ignore[no-untyped-def]
    live_server, services, name: str, data: bytes, status: int, code: str
) -> None:
    started = time.monotonic()
    response = httpx.post(
        f"{live_server.url}/v1/moderations",
        params={"wait": "true"},
        files={"file": (name, data)},
        timeout=60,
    )
    assert time.monotonic() - started < 5.0
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    with services.sessions() as session:
        for table in (MediaRow, ModerationRow, JobRow):
            assert session.scalar(select(func.count()).select_from(table)) == 0
