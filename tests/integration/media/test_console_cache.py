"""The console's local copies of S3 originals: a start of the server clears downloads that a
process which died left unfinished, and keeps the complete copies."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest


@pytest.fixture
def console_cache(settings) -> Path:  # type: ignore[no-untyped-def]
    """The cache folder as a killed server left it: a complete copy and half a download."""
    folder = Path(settings.data_dir) / "cache" / "console"
    folder.mkdir(parents=True)
    dead_pid = 2**22 + 7  # above any pid_max: no such process
    (folder / f"media_00_a.mp4.{dead_pid}@{socket.gethostname()}.0f0f0f0f.part").write_bytes(
        b"half a video"
    )
    (folder / "media_00_b.mp4").write_bytes(b"a whole one")
    return folder


def test_a_server_start_removes_abandoned_downloads(console_cache: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    assert sorted(p.name for p in console_cache.iterdir()) == ["media_00_b.mp4"]
