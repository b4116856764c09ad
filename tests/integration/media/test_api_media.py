"""``POST /v1/media`` over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from corpus import bad_corpus, image_bytes, valid_corpus

BAD = bad_corpus()


def test_healthz(live_server) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{live_server.url}/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_upload_reports_facts_and_deduplicates(live_server) -> None:  # type: ignore[no-untyped-def]
    data = image_bytes("WEBP", 400, 300)
    # The client's file name and Content-Type lie; the bytes decide.
    files = {"file": ("photo.gif", data, "application/pdf")}
    first = httpx.post(f"{live_server.url}/v1/media", files=files)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["format"], body["kind"], body["width"], body["height"]) == (
        "WEBP",
        "image",
        400,
        300,
    )
    assert body["size_bytes"] == len(data) and body["created"] is True
    second = httpx.post(f"{live_server.url}/v1/media", files=files)
    assert second.status_code == 200 and second.json()["id"] == body["id"]
    assert second.json()["created"] is False
    fetched = httpx.get(f"{live_server.url}/v1/media/{body['id']}")
    assert fetched.json()["sha256"] == body["sha256"]
    preview = httpx.get(f"{live_server.url}/v1/media/{body['id']}/preview")
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"


def test_video_upload_reports_duration(live_server) -> None:  # type: ignore[no-untyped-def]
    _name, data, _kind, _fmt = valid_corpus()["mp4"]
    response = httpx.post(f"{live_server.url}/v1/media", files={"file": ("a.bin", data)})
    assert response.status_code == 201
    assert response.json()["duration_seconds"] == pytest.approx(2.0, abs=0.15)
    assert response.json()["codec"] == "h264"


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_uploads_get_4xx_with_code(live_server, services, name: str) -> None:  # type: ignore[no-untyped-def]
    file_name, data, code = BAD[name]
    response = httpx.post(
        f"{live_server.url}/v1/media", files={"file": (file_name, data)}, timeout=60
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == code
    assert services.blobs.keys() == []


def test_missing_file_field_and_unknown_routes(live_server) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(f"{live_server.url}/v1/media", data={"other": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidParameterException"
    missing = httpx.get(f"{live_server.url}/v1/media/med_nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ResourceNotFoundException"
    assert httpx.get(f"{live_server.url}/nope").json()["error"]["code"] == "NotFound"
