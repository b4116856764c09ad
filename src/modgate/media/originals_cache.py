"""Local copies of originals kept in a remote (S3) blob store, for the console's video player.

The player asks for byte ranges, which are served from a file on this machine, so an original in
S3 is downloaded once and kept. Kept without bound, a busy console would fill the disk with
videos of up to 10 GB each; so the copies are held to ``console_cache_max_bytes``: after each new
copy, the least recently used ones (by modification time, which each use refreshes) are removed
until the rest fit. The copy just made is kept even when it alone is larger than the bound.

A copy is downloaded to a ``.part`` file named after the process (``<name>.<pid>@<host>.<random>
.part``), then renamed into place, so a reader never sees half a file. A process that dies
mid-download leaves its ``.part`` behind: those of processes on this machine that no longer run,
and any not written for an hour, are removed when the console starts.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modgate.media.blobstore import BlobStore, check_key, storage_full_refused
from modgate.processes import process_alive

logger = logging.getLogger(__name__)

_PART = ".part"
# A download writes to its .part file all along; one untouched for this long is abandoned.
_ABANDONED_AFTER_SECONDS = 3600.0


class OriginalsCache:
    """A bounded folder of downloaded originals; ``path(key)`` is the local file of a blob."""

    def __init__(
        self,
        folder: Path,
        blobs: BlobStore,
        max_bytes: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = folder
        self.blobs = blobs
        self.max_bytes = max_bytes
        self.clock = clock
        self._lock = threading.Lock()

    def path(self, key: str) -> Path:
        """The local copy of blob ``key``, downloaded now unless it is kept already."""
        cached = self.folder / check_key(key).replace("/", "_")
        try:
            os.utime(cached)  # used now: the last to be removed
            return cached
        except FileNotFoundError:
            pass
        with storage_full_refused(f"console copy of {key!r}"):
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f"{cached.name}.{_owner()}.{secrets.token_hex(4)}{_PART}")
            try:
                self.blobs.download(key, partial)
                partial.replace(cached)
            finally:
                partial.unlink(missing_ok=True)
        self.evict(keep=cached)
        return cached

    def evict(self, keep: Path | None = None) -> int:
        """Remove the least recently used copies until the rest fit; how many were removed."""
        with self._lock:
            copies = sorted(
                (stat.st_mtime, path, stat.st_size)
                for path, stat in _copies(self.folder)
                if path != keep
            )
            total = sum(size for _, _, size in copies)
            if keep is not None:
                total += _size(keep)
            removed = 0
            for _, path, size in copies:
                if total <= self.max_bytes:
                    break
                path.unlink(missing_ok=True)
                total -= size
                removed += 1
        if removed:
            logger.info("removed %d console copies of originals to stay within the bound", removed)
        return removed

    def remove_abandoned_parts(self) -> int:
        """Delete the ``.part`` files of downloads that will never finish; how many."""
        removed = 0
        host = socket.gethostname()
        now = self.clock()
        for path in self.folder.glob(f"*{_PART}") if self.folder.is_dir() else ():
            try:
                stale = now - path.stat().st_mtime > _ABANDONED_AFTER_SECONDS
            except FileNotFoundError:
                continue
            pid, owner_host = _part_owner(path.name)
            dead = owner_host == host and pid.isdigit() and not process_alive(int(pid))
            if stale or dead:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def open_originals_cache(settings: Any, blobs: BlobStore) -> OriginalsCache:
    """The console's cache as the settings say, cleared of abandoned downloads."""
    cache = OriginalsCache(
        settings.data_dir / "cache" / "console", blobs, settings.console_cache_max_bytes
    )
    cache.remove_abandoned_parts()
    cache.evict()
    return cache


def _owner() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


def _part_owner(name: str) -> tuple[str, str]:
    """(pid, host) from ``<name>.<pid>@<host>.<random>.part`` (host names hold dots, never @)."""
    head, _, tail = name[: -len(_PART)].rpartition("@")
    pid = head.rpartition(".")[2]
    host = tail.rpartition(".")[0]
    return pid, host


def _copies(folder: Path) -> list[tuple[Path, os.stat_result]]:
    found = []
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.name.endswith(_PART):
            continue
        try:
            found.append((path, path.stat()))
        except FileNotFoundError:
            continue
    return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
