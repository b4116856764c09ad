"""Clear pixels only after a logged reveal: the console answers blurred previews, a blurred video
proxy and blurred thumbnails until the reviewer revealed the task (within the daily cap), and
the API's clear previews and thumbnails need ``media:read_clear`` and are logged.

"Blurred" is measured, not trusted from a header: the edge energy of what was served is compared
with the clear original's (a fine checkerboard, so the original has plenty)."""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from PIL import Image, ImageFilter, ImageStat
from review_helpers import add_moderation
from sqlalchemy import select

from modgate.events import EventRow
from modgate.moderation.tables import ModerationExtraRow

sys.path.insert(0, str(Path(__file__).parents[2]))
from test_review_http import sign_in  # noqa: E402

PASSWORD = "correct horse battery"
FLAGGED_MS = 2500


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from modgate.settings import load_settings

    return load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        review={"daily_reveal_cap": 1},
        auth={"api_keys_required": True},
    )


def checkerboard(
    width: int = 320, height: int = 240, square: int = 4, shift: int = 0
) -> Image.Image:
    image = Image.new("RGB", (width, height))
    pixels = [
        (250, 250, 250) if ((x + shift) // square + y // square) % 2 else (10, 40, 10)
        for y in range(height)
        for x in range(width)
    ]
    image.putdata(pixels)
    return image


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def checkered_video(seconds: float = 4.0, fps: int = 10) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for index in range(int(seconds * fps)):
            frame = av.VideoFrame.from_image(checkerboard(shift=index))
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return out.getvalue()


def edges(image: Image.Image) -> float:
    """Mean edge strength: high for the checkerboard, near zero once it is blurred."""
    return float(ImageStat.Stat(image.convert("L").filter(ImageFilter.FIND_EDGES)).mean[0])


def still(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def first_frame(data: bytes) -> Image.Image:
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(video=0):
            image: Image.Image = frame.to_image()
            return image
    raise AssertionError("no frame")


def assert_blurred(served: Image.Image, original: Image.Image) -> None:
    assert edges(served) < 0.1 * edges(original), (edges(served), edges(original))


def claim(client: httpx.Client, csrf: str, queue: str) -> str:
    page = client.post("/console/claim", data={"csrf_token": csrf, "queue": queue})
    return page.url.path.rsplit("/", 1)[1]


def add_video_task(services: Any) -> tuple[Any, str, bytes]:
    """A video under review with a stored thumbnail at ``FLAGGED_MS``."""
    clip, _ = services.media.ingest_bytes(checkered_video())
    matched = [
        {
            "label": "Explicit Nudity",
            "confidence": 77.0,
            "action": "review",
            "rule": "nudity",
            "timestamps": [FLAGGED_MS],
        }
    ]
    moderation = add_moderation(
        services.sessions, media_id=clip.id, kind="video", queue="videos", matched=matched
    )
    thumb = jpeg(checkerboard(160, 120))
    key = f"thumbnails/{clip.info.sha256[:2]}/{clip.info.sha256}/{FLAGGED_MS}.jpg"
    services.blobs.put_bytes(key, thumb, "image/jpeg")
    with services.sessions.begin() as session:
        session.add(
            ModerationExtraRow(
                moderation_id=moderation, client_metadata={}, thumbnails={str(FLAGGED_MS): key}
            )
        )
    return clip, moderation, thumb


def events(services: Any, name: str) -> list[EventRow]:
    with services.sessions() as session:
        return list(session.scalars(select(EventRow).where(EventRow.name == name)))


def test_image_task_is_blurred_on_the_server_until_the_reviewer_reveals_it(
    live_server: Any, services: Any
) -> None:
    services.auth.add_user("ann", PASSWORD, "reviewer", ["*"], actor="cli:tests@localhost")
    original = jpeg(checkerboard())
    media, _ = services.media.ingest_bytes(original)
    add_moderation(services.sessions, media_id=media.id, queue="images")
    client, csrf = sign_in(live_server.url, "ann")
    with contextlib.closing(client):
        task = claim(client, csrf, "images")
        for url in (
            f"/console/tasks/{task}/preview?blurred=false",
            f"/console/tasks/{task}/preview",
            f"/console/tasks/{task}/media",
            f"/console/tasks/{task}/media?blurred=false",
        ):
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert answer.headers["x-modgate-blurred"] == "true", url
            assert_blurred(still(answer.content), still(original))
        assert events(services, "preview.revealed") == []

        assert (
            client.post(f"/console/tasks/{task}/reveal", headers={"X-CSRF-Token": csrf}).status_code
            == 200
        )
        clear = client.get(f"/console/tasks/{task}/preview?blurred=false")
        assert clear.headers["x-modgate-blurred"] == "false"
        assert edges(still(clear.content)) > 0.5 * edges(still(original))
        assert client.get(f"/console/tasks/{task}/media?blurred=false").content == original
        still_blurred = client.get(f"/console/tasks/{task}/preview")  # asked for blurred
        assert_blurred(still(still_blurred.content), still(original))
    assert len(events(services, "preview.revealed")) == 1


def test_video_task_plays_a_blurred_proxy_and_blurred_thumbnails_until_revealed(
    live_server: Any, services: Any
) -> None:
    services.auth.add_user("ann", PASSWORD, "reviewer", ["*"], actor="cli:tests@localhost")
    clip, _, thumb = add_video_task(services)
    original = services.blobs.get_bytes(clip.blob_key)
    client, csrf = sign_in(live_server.url, "ann")
    with contextlib.closing(client):
        task = claim(client, csrf, "videos")
        page = client.get(f"/console/tasks/{task}").text
        assert f'src="/console/tasks/{task}/media?blurred=true"' in page
        assert f"/console/tasks/{task}/thumbnails/{FLAGGED_MS}?blurred=true" in page
        proxy = client.get(f"/console/tasks/{task}/media?blurred=false")
        assert proxy.status_code == 200 and proxy.headers["content-type"] == "video/webm"
        assert proxy.headers["x-modgate-blurred"] == "true"
        assert_blurred(first_frame(proxy.content), first_frame(original))
        with av.open(io.BytesIO(proxy.content)) as container:  # flagged moments line up
            assert container.duration / 1e6 == pytest.approx(4.0, abs=0.3)
        ranged = client.get(f"/console/tasks/{task}/media", headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206 and len(ranged.content) == 100
        thumbnail = client.get(f"/console/tasks/{task}/thumbnails/{FLAGGED_MS}?blurred=false")
        assert thumbnail.headers["x-modgate-blurred"] == "true"
        assert_blurred(still(thumbnail.content), still(thumb))
        assert client.get(f"/console/tasks/{task}/thumbnails/99").status_code == 404

        assert (
            client.post(f"/console/tasks/{task}/reveal", headers={"X-CSRF-Token": csrf}).status_code
            == 200
        )
        clear = client.get(f"/console/tasks/{task}/media?blurred=false")
        assert clear.headers["content-type"] == "video/mp4" and clear.content == original
        clear_thumb = client.get(f"/console/tasks/{task}/thumbnails/{FLAGGED_MS}?blurred=false")
        assert clear_thumb.content == thumb


def test_over_the_cap_the_reveal_is_refused_and_the_media_stay_blurred(
    live_server: Any, services: Any
) -> None:
    services.auth.add_user("ann", PASSWORD, "reviewer", ["*"], actor="cli:tests@localhost")
    first, _ = services.media.ingest_bytes(jpeg(checkerboard(shift=1)))
    add_moderation(services.sessions, media_id=first.id, queue="images")
    clip, moderation, thumb = add_video_task(services)
    client, csrf = sign_in(live_server.url, "ann")
    with contextlib.closing(client):
        task = claim(client, csrf, "images")
        assert client.post(
            f"/console/tasks/{task}/reveal", headers={"X-CSRF-Token": csrf}
        ).json() == {"revealed_today": 1, "cap": 1}
        client.post(f"/console/tasks/{task}/release", data={"csrf_token": csrf})
        video_task = claim(client, csrf, "videos")
        capped = client.post(f"/console/tasks/{video_task}/reveal", headers={"X-CSRF-Token": csrf})
        assert capped.status_code == 403
        assert capped.json()["error"]["code"] == "RevealLimitReachedException"
        media = client.get(f"/console/tasks/{video_task}/media?blurred=false")
        assert media.headers["x-modgate-blurred"] == "true"
        assert_blurred(
            first_frame(media.content), first_frame(services.blobs.get_bytes(clip.blob_key))
        )
        thumbnail = client.get(f"/console/tasks/{video_task}/thumbnails/{FLAGGED_MS}?blurred=false")
        assert_blurred(still(thumbnail.content), still(thumb))
        stats = client.get("/console/me").text
        assert re.search(r'id="reveals-today">1 of 1<', stats)
    assert [e.moderation_id for e in events(services, "preview.revealed")] != [moderation]


def test_api_clear_previews_and_thumbnails_need_media_read_clear_and_are_logged(
    live_server: Any, services: Any
) -> None:
    original = jpeg(checkerboard())
    media, _ = services.media.ingest_bytes(original)
    clip, moderation, thumb = add_video_task(services)
    reader, _ = services.auth.create_key(
        "reader", ["media:read", "moderations:read"], actor="cli:tests@localhost"
    )
    clear_reader, clear_key = services.auth.create_key(
        "clear", ["media:read", "moderations:read", "media:read_clear"], actor="cli:tests@localhost"
    )
    thumbnail_url = f"/v1/moderations/{moderation}/thumbnails/{FLAGGED_MS}"
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        plain = {"Authorization": f"Bearer {reader}"}
        blurred = client.get(f"/v1/media/{media.id}/preview", headers=plain)
        assert blurred.status_code == 200
        assert_blurred(still(blurred.content), still(original))
        assert_blurred(still(client.get(thumbnail_url, headers=plain).content), still(thumb))
        clear_urls = (
            f"/v1/media/{media.id}/preview?blurred=false",
            f"{thumbnail_url}?blurred=false",
        )
        for url in clear_urls:
            refused = client.get(url, headers=plain)
            assert refused.status_code == 403, url
            assert refused.json()["error"]["code"] == "AccessDeniedException"
            assert "media:read_clear" in refused.json()["error"]["message"]
        assert events(services, "media.clear_read") == []

        allowed = {"Authorization": f"Bearer {clear_reader}"}
        clear = client.get(f"/v1/media/{media.id}/preview?blurred=false", headers=allowed)
        assert clear.status_code == 200
        assert edges(still(clear.content)) > 0.5 * edges(still(original))
        clear_thumb = client.get(f"{thumbnail_url}?blurred=false", headers=allowed)
        assert clear_thumb.status_code == 200 and clear_thumb.content == thumb
    logged = events(services, "media.clear_read")
    actor = f"key:{clear_key.id}"
    assert [(e.actor, e.moderation_id, e.payload) for e in logged] == [
        (actor, None, {"media_id": media.id, "rendition": "preview", "timestamp_ms": None}),
        (
            actor,
            moderation,
            {"media_id": clip.id, "rendition": "thumbnail", "timestamp_ms": FLAGGED_MS},
        ),
    ]
