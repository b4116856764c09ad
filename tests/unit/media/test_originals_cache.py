"""The console's local copies of S3 originals: bounded (least recently used removed first) and
cleared of downloads that a dead process left unfinished."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modgate.errors import ModgateError
from modgate.media import LocalBlobStore
from modgate.media.originals_cache import OriginalsCache

KIB = 1024


def remote_with(tmp_path: Path, count: int) -> LocalBlobStore:
    """A blob store standing in for S3: ``download`` copies a blob to a local file."""
    remote = LocalBlobStore(tmp_path / "remote")
    for index in range(count):
        remote.put_bytes(f"media/0{index}/blob{index}.mp4", bytes([index]) * 10 * KIB)
    return remote


def used_at(path: Path, seconds_ago: float) -> None:
    moment = time.time() - seconds_ago
    os.utime(path, (moment, moment))


def cached_names(cache: OriginalsCache) -> list[str]:
    return sorted(path.name for path in cache.folder.iterdir())


def test_copies_are_bounded_and_the_least_recently_used_go_first(tmp_path: Path) -> None:
    cache = OriginalsCache(tmp_path / "cache", remote_with(tmp_path, 4), max_bytes=25 * KIB)
    first = cache.path("media/00/blob0.mp4")
    used_at(first, 300)
    second = cache.path("media/01/blob1.mp4")
    used_at(second, 200)
    assert cache.path("media/00/blob0.mp4") == first  # used again: now the most recent
    assert first.read_bytes() == b"\x00" * 10 * KIB
    cache.path("media/02/blob2.mp4")
    assert cached_names(cache) == ["media_00_blob0.mp4", "media_02_blob2.mp4"]
    cache.path("media/03/blob3.mp4")
    assert len(cached_names(cache)) == 2
    assert sum(p.stat().st_size for p in cache.folder.iterdir()) <= 25 * KIB


def test_a_copy_larger_than_the_bound_is_still_served(tmp_path: Path) -> None:
    cache = OriginalsCache(tmp_path / "cache", remote_with(tmp_path, 2), max_bytes=KIB)
    cache.path("media/00/blob0.mp4")
    served = cache.path("media/01/blob1.mp4")
    assert served.read_bytes() == b"\x01" * 10 * KIB
    assert cached_names(cache) == ["media_01_blob1.mp4"]


def test_a_failed_download_leaves_no_part_file(tmp_path: Path) -> None:
    cache = OriginalsCache(tmp_path / "cache", remote_with(tmp_path, 0), max_bytes=KIB)
    with pytest.raises(ModgateError) as caught:
        cache.path("media/00/missing.mp4")
    assert caught.value.code == "InvalidS3ObjectException"
    assert cached_names(cache) == []


def test_abandoned_downloads_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    host = socket.gethostname()
    parts = {
        "dead": f"media_00_a.mp4.{dead.stdout.strip()}@{host}.1a2b3c4d.part",
        "live": f"media_00_b.mp4.{os.getpid()}@{host}.1a2b3c4d.part",
        "other-host-recent": "media_00_c.mp4.12@other.example.1a2b3c4d.part",
        "other-host-stale": "media_00_d.mp4.12@other.example.1a2b3c4d.part",
    }
    for name in parts.values():
        (folder / name).write_bytes(b"half")
    used_at(folder / parts["other-host-stale"], 2 * 3600)
    (folder / "media_00_e.mp4").write_bytes(b"a complete copy")
    cache = OriginalsCache(folder, remote_with(tmp_path, 0), max_bytes=10 * KIB)
    assert cache.remove_abandoned_parts() == 2
    assert cached_names(cache) == sorted(
        [parts["live"], parts["other-host-recent"], "media_00_e.mp4"]
    )
