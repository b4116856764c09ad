"""Video through the pipeline: a generated clip whose frames show the marker colour in a known
interval; the segment found must match the truth within one sampling interval."""

from __future__ import annotations

import base64

import httpx
import pytest

from corpus import video_bytes
from modgate.app import create_app
from modgate.media.proxy import proxy_key
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import RED, wait_decided
from servers import LiveServer

TRUTH = (3.0, 6.5)  # seconds during which the frames are red


@pytest.fixture
def clip() -> bytes:
    return video_bytes(
        "mp4",
        "libx264",
        seconds=10.0,
        fps=10,
        width=192,
        height=108,
        colour_at=(TRUTH[0], TRUTH[1], RED),
    )


def test_segment_matches_the_truth_within_one_interval(live_server, clip: bytes) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(
        f"{live_server.url}/v1/moderations", files={"file": ("c.mp4", clip)}, timeout=60
    )
    assert response.status_code == 202
    body = wait_decided(live_server.url, response.json()["id"])
    assert body["status"] == "completed" and body["kind"] == "video"
    assert body["action"] == "block"
    interval_ms = 1000  # default 1 fps
    segments = [s for s in body["segments"] if s["ModerationLabel"]["Name"] == "Explicit Nudity"]
    assert len(segments) == 1
    start, end = segments[0]["StartTimestampMillis"], segments[0]["EndTimestampMillis"]
    assert abs(start - TRUTH[0] * 1000) <= interval_ms
    assert abs(end - TRUTH[1] * 1000) <= interval_ms
    assert body["flagged_timestamps"][0] == start
    # The reviewer's thumbnail at the flagged moment exists and is a JPEG.
    thumb = httpx.get(f"{live_server.url}/v1/moderations/{body['id']}/thumbnails/{start}")
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"


def test_get_content_moderation_shapes(live_server, clip: bytes) -> None:  # type: ignore[no-untyped-def]
    moderation_id = httpx.post(
        f"{live_server.url}/v1/moderations", files={"file": ("c.mp4", clip)}
    ).json()["id"]
    wait_decided(live_server.url, moderation_id)
    url = f"{live_server.url}/v1/moderations/{moderation_id}/labels"
    stamps = httpx.get(url).json()
    assert stamps["JobStatus"] == "SUCCEEDED"
    assert stamps["VideoMetadata"]["DurationMillis"] == 10000
    assert stamps["VideoMetadata"]["Codec"] == "h264"
    assert stamps["GetRequestMetadata"] == {"SortBy": "TIMESTAMP", "AggregateBy": "TIMESTAMPS"}
    times = [item["Timestamp"] for item in stamps["ModerationLabels"]]
    assert times == sorted(times) and len(times) >= 6  # two labels at 3 or 4 sampled seconds
    by_name = httpx.get(url, params={"sort_by": "NAME"}).json()["ModerationLabels"]
    names = [item["ModerationLabel"]["Name"] for item in by_name]
    assert names == sorted(names)
    page = httpx.get(url, params={"max_results": 2}).json()
    assert len(page["ModerationLabels"]) == 2 and page["NextToken"]
    following = httpx.get(url, params={"max_results": 2, "next_token": page["NextToken"]}).json()
    assert following["ModerationLabels"][0] != page["ModerationLabels"][0]
    # Only a token this service wrote is accepted: never a 500, never a page that runs backwards.
    for forged in ('{"o": 1e400}', '{"o": -5}', '{"o": 2.5}', '{"o": true}', '{"o": "7"}', "[]"):
        token = base64.urlsafe_b64encode(forged.encode()).decode()
        refused = httpx.get(url, params={"next_token": token})
        assert refused.status_code == 400, forged
        assert refused.json()["error"]["code"] == "InvalidParameterException"
    segments = httpx.get(url, params={"aggregate_by": "SEGMENTS"}).json()["ModerationLabels"]
    assert {s["ModerationLabel"]["Name"] for s in segments} == {"Explicit", "Explicit Nudity"}
    assert all(s["DurationMillis"] > 0 for s in segments)
    assert httpx.get(url, params={"aggregate_by": "FRAMES"}).status_code == 400


def test_wait_is_ignored_for_video(live_server, clip: bytes) -> None:  # type: ignore[no-untyped-def]
    """A client that sends wait=true with every upload gets its videos accepted, asynchronously."""
    response = httpx.post(
        f"{live_server.url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("c.mp4", clip)},
    )
    assert response.status_code == 202
    assert response.headers["location"] == f"/v1/moderations/{response.json()['id']}"
    done = wait_decided(live_server.url, response.json()["id"])
    assert done["status"] == "completed"
    assert done["kind"] == "video"


def test_animated_gif_goes_the_video_way(live_server) -> None:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    frames = [Image.new("RGB", (120, 90), RED if 2 <= i < 4 else (20, 120, 60)) for i in range(6)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=1000)
    response = httpx.post(
        f"{live_server.url}/v1/moderations", files={"file": ("a.gif", out.getvalue())}
    )
    body = wait_decided(live_server.url, response.json()["id"])
    assert body["kind"] == "image" and body["media"]["animated"]
    segment = next(s for s in body["segments"] if s["ModerationLabel"]["Name"] == "Explicit Nudity")
    assert (segment["StartTimestampMillis"], segment["EndTimestampMillis"]) == (2000, 4000)
    assert body["action"] == "block"


def test_a_short_shot_between_samples_is_caught_by_scene_detection(live_server) -> None:  # type: ignore[no-untyped-def]
    # Red for 0.6 s, between the regular samples at 2 s and 3 s (1 fps).
    flash = video_bytes(
        "mp4",
        "libx264",
        seconds=5.0,
        fps=10,
        width=192,
        height=108,
        colour_at=(2.2, 2.8, RED),
    )
    response = httpx.post(f"{live_server.url}/v1/moderations", files={"file": ("f.mp4", flash)})
    body = wait_decided(live_server.url, response.json()["id"])
    segment = next(s for s in body["segments"] if s["ModerationLabel"]["Name"] == "Explicit Nudity")
    assert 2200 <= segment["StartTimestampMillis"] < 2800
    assert body["action"] == "block"


def test_a_video_longer_than_the_job_timeout_keeps_its_lease_while_it_progresses(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """The job timeout bounds a job that makes no progress, not a long video: a job whose
    samples take longer than the timeout to detect is not taken over by another worker (which
    would detect it again, and after three takeovers give it up), and finishes on its one try."""
    from sqlalchemy import select

    from modgate.pipeline.tables import JobRow

    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"], "options": {"marker": {"delay": 0.25}}},
        auth={"api_keys_required": False},
        pipeline={"workers": 2, "poll_seconds": 0.1, "job_timeout_seconds": 1.0},
    )
    # 24 samples in batches of 4, 0.25 s per batch: about 1.5 s of detection.
    data = video_bytes("mp4", "libx264", seconds=24.0, fps=2, width=96, height=64)
    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as server:
            response = httpx.post(
                f"{server.url}/v1/moderations", files={"file": ("c.mp4", data)}, timeout=60
            )
            body = wait_decided(server.url, response.json()["id"])
        assert body["status"] == "completed" and body["action"] == "allow", body
        with services.sessions() as session:
            job = session.scalars(select(JobRow)).one()
        assert job.status == "succeeded" and job.attempts == 1
    finally:
        services.close()


def test_a_video_sent_to_review_has_its_blurred_proxy_before_anyone_asks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The reviewer's first look at a video task plays the blurred proxy at once: the worker
    encodes it when the item is routed to review, beside the previews."""
    from modgate.app import create_app
    from modgate.services import Services
    from modgate.settings import load_settings
    from servers import LiveServer

    settings = load_settings(
        data_dir=tmp_path / "data",
        # The seed policy sends Violence at 70 and above to review.
        detection={"enabled": ["marker"], "options": {"marker": {"label": "Violence"}}},
        pipeline={"workers": 1, "poll_seconds": 0.1},
        auth={"api_keys_required": False},
    )
    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as server:
            clip = video_bytes(
                "mp4",
                "libx264",
                seconds=4.0,
                fps=10,
                width=192,
                height=108,
                colour_at=(1.0, 3.0, RED),
            )
            posted = httpx.post(
                f"{server.url}/v1/moderations", files={"file": ("clip.mp4", clip)}, timeout=60
            )
            body = wait_decided(server.url, posted.json()["id"])
            assert body["action"] == "review", body
            assert services.blobs.exists(proxy_key(body["media"]["sha256"]))
    finally:
        services.close()
