"""Over real HTTP: each route takes a body only as large as what it accepts. JSON and console
forms are small (64 KiB), a JSON moderation carries an image as base64 at most, video goes as a
multipart upload (which keeps the video limit) or by blob key, and forms have bounded fields.
Every refusal is a 413 with a stable code, sent before the rest of the body is read; the error
handler passes an error's headers (``Retry-After``) through, and a full disk met anywhere is a
507, never a 500."""

from __future__ import annotations

import base64
import errno
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Depends

from corpus import noise_png, video_bytes
from modgate.app import create_app
from modgate.auth.deps import public
from modgate.errors import StoreUnavailableException
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import plain_png
from servers import LiveServer

MAX_IMAGE = 200_000
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("caps") / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        auth={"api_keys_required": False},
        max_image_bytes=MAX_IMAGE,
        max_video_bytes=4 * MIB,
    )
    services = Services.build(settings)
    app = create_app(settings, services)

    def unavailable() -> None:
        raise StoreUnavailableException("The queue is down; try again.")

    def disk_full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    app.add_api_route("/test/unavailable", unavailable, dependencies=[Depends(public)])
    app.add_api_route("/test/disk-full", disk_full, dependencies=[Depends(public)])
    with LiveServer(app) as live:
        yield {"url": live.url}
    services.close()


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "RequestTooLargeException"


def test_a_1_mib_json_body_to_webhooks_is_413(server: dict[str, Any]) -> None:
    body = b'{"url": "https://example.com/hook", "secret": "' + b"s" * MIB + b'"}'
    declared = httpx.post(
        server["url"] + "/v1/webhooks", content=body, headers={"Content-Type": "application/json"}
    )
    assert_too_large(declared)

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while it streams
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    streamed = httpx.post(
        server["url"] + "/v1/webhooks",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert_too_large(streamed)


def _login_form(url: str) -> tuple[str, str]:
    page = httpx.get(url + "/console/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return token, page.cookies["modgate_login_csrf"]


@pytest.mark.parametrize(
    "fields",
    [
        [(f"field{index}", "x") for index in range(2000)],  # small, but far too many
        [("username", "someone"), ("password", "p" * 1_000_000)],  # one field of 1 MB
        [("username", "someone"), ("password", "p" * 20_000)],  # under the body cap
    ],
    ids=["2000 fields", "1 MB field", "20 KB field"],
)
def test_the_sign_in_form_is_bounded(server: dict[str, Any], fields: list[Any]) -> None:
    token, cookie = _login_form(server["url"])
    for encoding in ("urlencoded", "multipart"):
        started = time.monotonic()
        form = [*fields, ("csrf_token", token)]
        if encoding == "urlencoded":
            sent: dict[str, Any] = {"data": dict(form)}
        else:
            sent = {"files": [(name, (None, value)) for name, value in form]}
        response = httpx.post(
            server["url"] + "/console/login",
            headers={"Cookie": f"modgate_login_csrf={cookie}"},
            **sent,
        )
        assert_too_large(response)
        assert time.monotonic() - started < 5


def test_a_video_as_base64_json_is_refused_with_its_own_code(server: dict[str, Any]) -> None:
    clip = base64.b64encode(video_bytes(seconds=0.5, fps=4, width=64, height=48)).decode()
    for data in (clip, f"data:video/mp4;base64,{clip}"):
        response = httpx.post(server["url"] + "/v1/moderations", json={"media": {"base64": data}})
        assert response.status_code == 415, response.text
        error = response.json()["error"]
        assert error["code"] == "VideoAsBase64Exception"
        assert "multipart" in error["message"] and "blob_key" in error["message"]


def test_base64_json_is_capped_at_the_largest_image(server: dict[str, Any]) -> None:
    fits = base64.b64encode(plain_png(3)).decode()
    accepted = httpx.post(server["url"] + "/v1/moderations", json={"media": {"base64": fits}})
    assert accepted.status_code in (200, 201, 202), accepted.text
    too_big = base64.b64encode(b"\0" * (MAX_IMAGE * 2)).decode()
    refused = httpx.post(server["url"] + "/v1/moderations", json={"media": {"base64": too_big}})
    assert_too_large(refused)
    assert "multipart" in refused.json()["error"]["message"]


def test_multipart_uploads_keep_the_upload_limit(server: dict[str, Any]) -> None:
    """A 150 KB image (over the small-body cap) still goes through both upload routes."""
    image = noise_png(150_000)
    for path in ("/v1/media", "/v1/moderations"):
        response = httpx.post(server["url"] + path, files={"file": ("a.png", image)})
        assert response.status_code in (200, 201, 202), (path, response.text)
    extra = httpx.post(
        server["url"] + "/v1/media",
        files=[("file", ("a.png", image)), ("file", ("b.png", image))],
    )
    assert_too_large(extra)


def test_an_errors_retry_after_is_passed_through(server: dict[str, Any]) -> None:
    response = httpx.get(server["url"] + "/test/unavailable")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"] == {
        "code": "StoreUnavailableException",
        "message": "The queue is down; try again.",
    }


def test_a_full_disk_anywhere_is_507_with_retry_after(server: dict[str, Any]) -> None:
    response = httpx.get(server["url"] + "/test/disk-full")
    assert response.status_code == 507, response.text
    assert response.json()["error"]["code"] == "InsufficientStorageException"
    assert response.json()["error"]["details"] == {"reason": "ENOSPC"}
    assert int(response.headers["Retry-After"]) > 0


def test_an_upload_spooled_to_a_full_temp_folder_is_507(tmp_path: Path) -> None:
    """Starlette spools a multipart file over 1 MiB to the temporary folder; when that is full
    the answer is 507 with ``Retry-After``, not a 500."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "tmp"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)]).returncode:
        pytest.skip("a tmpfs cannot be mounted here")
    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        auth={"api_keys_required": False},
    )
    services = Services.build(settings)
    before, tempfile.tempdir = tempfile.tempdir, str(folder)
    try:
        with LiveServer(create_app(settings, services)) as live:
            response = httpx.post(
                live.url + "/v1/media", files={"file": ("a.png", noise_png(3 * MIB))}, timeout=60
            )
        assert response.status_code == 507, response.text
        assert response.json()["error"]["code"] == "InsufficientStorageException"
        assert "Retry-After" in response.headers
    finally:
        tempfile.tempdir = before
        services.close()
        subprocess.run(["umount", "-l", str(folder)], check=False)
