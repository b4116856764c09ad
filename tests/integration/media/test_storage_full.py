"""A full disk over real HTTP: an upload that finds no room answers 507
``InsufficientStorageException``, leaves no spool file, no blob and no record, loses nothing
accepted before, and succeeds when sent again once there is room.

The disk is real: a small tmpfs mounted for the test (root only; skipped where mounting is not
permitted), and a served process whose file size limit (RLIMIT_FSIZE, no privilege needed) is
smaller than the upload, for which the kernel answers EFBIG.
"""

from __future__ import annotations

import errno
import hashlib
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from corpus import image_bytes, noise_png
from pipeline_helpers import wait_for
from servers import free_port

KIB = 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 8 MiB tmpfs, unmounted afterwards."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the RLIMIT_FSIZE test covers this case")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture(params=["data", "blobs"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, small_disk: Path):  # type: ignore[no-untyped-def]
    """The whole data folder on the small disk, or only the blob folder (a mount of its own:
    uploads are then copied into it, not moved)."""
    from modgate.settings import load_settings

    on_disk = {"data_dir": small_disk / "data"}
    if request.param == "blobs":
        on_disk = {"data_dir": tmp_path / "data", "blob_dir": small_disk / "blobs"}
    return load_settings(
        **on_disk,
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        auth={"api_keys_required": False},
    )


def fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` up, then free ``leave`` bytes: the next large write finds no room."""
    filler = disk / "filler"
    chunk = b"\0" * (64 * KIB)
    # Unbuffered: a chunk the disk has no room for is not kept in a buffer for close() to
    # write again (which would fail with ENOSPC once more, depending on how full it was).
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_full_disk_answers_507_keeps_what_was_accepted_and_the_retry_succeeds(
    live_server, services, settings, small_disk: Path
) -> None:  # type: ignore[no-untyped-def]
    url = f"{live_server.url}/v1/media"
    accepted_bytes = image_bytes("PNG", 64, 64, seed=1)
    accepted = httpx.post(url, files={"file": ("a.png", accepted_bytes)})
    assert accepted.status_code == 201, accepted.text
    blobs = settings.resolved_blob_dir
    spool = settings.data_dir / "spool"
    stored_before = files_under(blobs)
    upload = noise_png(900 * KIB)  # below Starlette's in-memory limit: only modgate writes it
    filler = fill(small_disk, leave=256 * KIB)

    refused = httpx.post(url, files={"file": ("b.png", upload)}, timeout=60)

    assert refused.status_code == 507, refused.text
    assert refused.json()["error"]["code"] == "InsufficientStorageException"
    assert refused.json()["error"]["details"]["reason"] == "ENOSPC"
    assert files_under(blobs) == stored_before  # no blob, no .incoming- file
    assert files_under(spool) == []
    assert services.media.store.get_by_sha256(hashlib.sha256(upload).hexdigest(), "default") is None
    again = httpx.get(f"{url}/{accepted.json()['id']}")
    assert again.status_code == 200 and again.json()["sha256"] == accepted.json()["sha256"]
    assert services.blobs.get_bytes(services.media.store.get(again.json()["id"]).blob_key) == (
        accepted_bytes
    )

    filler.unlink()
    retried = httpx.post(url, files={"file": ("b.png", upload)}, timeout=60)
    assert retried.status_code == 201, retried.text
    assert retried.json()["size_bytes"] == len(upload)
    assert files_under(spool) == []


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_served_process_past_its_file_size_limit_answers_507(tmp_path: Path) -> None:
    """``modgate serve`` as a user runs it, allowed no file larger than 700 KiB (its database
    is about 350 KiB): an upload of 900 KiB cannot be spooled."""
    port = free_port()
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")} | {
        "MODGATE_DATA_DIR": str(data),
        "MODGATE_DETECTION__ENABLED": '["marker"]',
        "MODGATE_AUTH__API_KEYS_REQUIRED": "false",
    }
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "modgate", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            preexec_fn=lambda: _limit_file_size(700 * KIB),
        )
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{url}/healthz").status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=60, interval=0.2)
        small = httpx.post(f"{url}/v1/media", files={"file": ("a.png", image_bytes("PNG"))})
        assert small.status_code == 201, small.text
        large = httpx.post(
            f"{url}/v1/media", files={"file": ("b.png", noise_png(900 * KIB))}, timeout=60
        )
        assert large.status_code == 507, large.text
        assert large.json()["error"]["code"] == "InsufficientStorageException"
        assert large.json()["error"]["details"]["reason"] == "EFBIG"
        assert files_under(data / "spool") == []
        assert [p for p in files_under(data / "blobs") if not p.startswith("media/")] == []
        assert len(files_under(data / "blobs")) == 1
        kept = httpx.get(f"{url}/v1/media/{small.json()['id']}")
        assert kept.status_code == 200
        assert process.poll() is None  # the server is still up
    finally:
        process.terminate()
        process.wait(timeout=30)
