"""Videos as encoders and devices really write them, through the API: the red (marker) moment
is flagged at its time whatever the file's B-frames, frame timing, damage, first timestamp or
display rotation, and timestamps stay inside the reported duration."""

from __future__ import annotations

import io
from typing import Any

import httpx
import numpy as np
from PIL import Image

from pipeline_helpers import wait_decided
from video_corpus import (
    FIXED_B_FRAMES,
    RED,
    clip_bytes,
    damaged_mp4,
    is_red,
    rotated_mp4,
    solid,
    still,
)


def _moderate(url: str, data: bytes, name: str = "clip.mp4") -> dict[str, Any]:
    response = httpx.post(f"{url}/v1/moderations", files={"file": (name, data)}, timeout=60)
    assert response.status_code == 202, response.text
    body = wait_decided(url, response.json()["id"])
    assert body["status"] == "completed", body
    return body


def test_a_red_slide_coded_as_a_non_reference_b_frame_is_flagged(live_server) -> None:  # type: ignore[no-untyped-def]
    slides = [solid(RED) if index == 5 else still(seed=index) for index in range(9)]
    body = _moderate(live_server.url, clip_bytes(slides, fps=1, options=FIXED_B_FRAMES))
    assert body["flagged_timestamps"] == [5000] and body["action"] == "block"


def test_a_red_frame_shown_across_sampling_times_is_flagged(live_server) -> None:  # type: ignore[no-untyped-def]
    frames = [still(seed=1), solid(RED), still(seed=2), still(seed=3)]
    body = _moderate(live_server.url, clip_bytes(frames, pts_ms=[0, 900, 4000, 5000]))
    assert body["flagged_timestamps"] == [900] and body["action"] == "block"


def test_a_damaged_packet_leaves_the_rest_of_the_video_moderated(live_server) -> None:  # type: ignore[no-untyped-def]
    frames = [solid(RED) if index >= 20 else still(seed=index) for index in range(30)]
    body = _moderate(live_server.url, damaged_mp4(clip_bytes(frames), 10))
    assert body["flagged_timestamps"] == [2000] and body["action"] == "block"


def test_a_video_damage_hid_seconds_of_goes_to_review_not_allowed(live_server) -> None:  # type: ignore[no-untyped-def]
    """Two seconds in the middle (or at the end) cannot be decoded: nothing flagged in the rest
    is no reason to allow it; a person sees it, told why. One lost frame changes nothing."""
    frames = [still(seed=index) for index in range(60)]  # 6 s at 10 fps, a keyframe each second
    for damaged in (range(20, 40), range(40, 60)):
        data = clip_bytes(
            frames,
            container="webm",
            codec="libvpx-vp9",
            options={"g": "10"},
            damaged_packets=damaged,
        )
        body = _moderate(live_server.url, data, "clip.webm")
        assert body["action"] == "review" and body["rule"] == "modgate.incomplete-media"
        reason = body["decision"]["reasons"][-1]
        assert reason.startswith("2.0 s of 6.0 s could not be decoded"), reason
    data = clip_bytes(frames, container="webm", codec="libvpx-vp9", damaged_packets={10})
    assert _moderate(live_server.url, data, "clip.webm")["action"] == "allow"


def test_a_late_first_timestamp_counts_from_zero_inside_the_duration(live_server) -> None:  # type: ignore[no-untyped-def]
    # Timestamps 5 s to 8 s in the file; red in its last second.
    frames = [solid(RED) if index >= 20 else still(seed=index) for index in range(30)]
    data = clip_bytes(frames, pts_ms=[5000 + 100 * index for index in range(30)])
    body = _moderate(live_server.url, data)
    assert body["flagged_timestamps"] == [2000]
    labels = httpx.get(f"{live_server.url}/v1/moderations/{body['id']}/labels").json()
    duration = labels["VideoMetadata"]["DurationMillis"]
    assert duration == 3000
    entries = labels["ModerationLabels"]
    assert entries and all(0 <= e["Timestamp"] < duration for e in entries)
    assert all(e["EndTimestampMillis"] <= duration for e in entries)


def _jpeg_size_and_top(data: bytes) -> tuple[tuple[int, int], bool]:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    pixels = np.asarray(image)
    return image.size, is_red(pixels[: image.height // 2])


def test_a_rotated_video_is_previewed_and_thumbnailed_upright(live_server) -> None:  # type: ignore[no-untyped-def]
    upright = solid((0, 0, 255), 120, 160)
    upright[:96] = RED  # 60 % red: flagged however it is turned; upright, red is on top
    stored = np.ascontiguousarray(np.rot90(upright))  # sideways, with a 90° display matrix
    body = _moderate(live_server.url, rotated_mp4(clip_bytes([stored] * 20), 90))
    assert body["flagged_timestamps"][0] == 0
    thumbnail = httpx.get(f"{live_server.url}/v1/moderations/{body['id']}/thumbnails/0")
    preview = httpx.get(
        f"{live_server.url}/v1/media/{body['media']['id']}/preview", params={"blurred": "false"}
    )
    for response in (thumbnail, preview):
        assert response.status_code == 200
        (width, height), red_on_top = _jpeg_size_and_top(response.content)
        assert height > width and red_on_top


def test_an_mp4_with_junk_after_its_end_is_moderated(live_server) -> None:  # type: ignore[no-untyped-def]
    frames = [solid(RED) if index >= 10 else still(seed=index) for index in range(20)]
    data = clip_bytes(frames, container_options={"movflags": "faststart"})
    body = _moderate(live_server.url, data + np.random.default_rng(3).bytes(4000))
    assert body["flagged_timestamps"] == [1000] and body["action"] == "block"
