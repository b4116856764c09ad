"""The local blob store survives a power cut (file and folder fsynced around the rename) and a
full disk: "no room" while an upload is spooled or stored is ``InsufficientStorageException``
(507), leaves no partial file, keeps what was stored before, and the upload can be retried."""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corpus import image_bytes
from modgate.errors import ModgateError
from modgate.media import InMemoryMediaStore, LocalBlobStore, MediaLimits, MediaService

NO_ROOM = pytest.mark.parametrize(
    "code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG], ids=["ENOSPC", "EDQUOT", "EFBIG"]
)


def all_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


class _FullAfter(io.RawIOBase):
    """A file that takes ``room`` bytes, then answers ``code`` as a full disk does."""

    def __init__(self, inner: Any, room: int, code: int) -> None:
        self.inner, self.room, self.code = inner, room, code

    def write(self, data: Any) -> int:
        if len(data) > self.room:
            raise OSError(self.code, os.strerror(self.code))
        self.room -= len(data)
        return int(self.inner.write(data))

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self.inner.flush()

    def fileno(self) -> int:
        return int(self.inner.fileno())

    def close(self) -> None:
        super().close()  # flushes the inner file first
        self.inner.close()


@pytest.fixture
def disk_fills_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Files written under ``state["folder"]`` get ``state["room"]`` bytes, then "no room"."""
    state: dict[str, Any] = {"folder": None, "room": 0, "code": errno.ENOSPC}
    real_fdopen = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        handle = real_fdopen(fd, *args, **kwargs)
        path = os.readlink(f"/proc/self/fd/{fd}")
        if state["folder"] is not None and path.startswith(str(state["folder"])):
            return _FullAfter(handle, state["room"], state["code"])
        return handle

    monkeypatch.setattr(os, "fdopen", fdopen)
    yield state


def test_a_blob_is_fsynced_renamed_into_place_then_its_folder_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        events.append(("fsync-folder" if os.path.isdir(path) else "fsync-file", path))
        real_fsync(fd)

    def replace(source: Any, target: Any) -> None:
        real_replace(source, target)
        events.append(("rename", str(target)))

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    store = LocalBlobStore(tmp_path / "blobs")
    spooled = tmp_path / "upload"
    spooled.write_bytes(b"video bytes")
    for put in (
        lambda: store.put_bytes("previews/ab/one.jpg", b"jpeg"),
        lambda: store.put_file("media/ab/two.mp4", spooled, consume=True),
    ):
        events.clear()
        put()
        kinds = [kind for kind, _ in events]
        rename = kinds.index("rename")
        target = Path(events[rename][1])
        assert "fsync-file" in kinds[:rename]
        assert ("fsync-folder", str(target.parent)) in events[rename + 1 :]
        # The new folders' own entries are durable too.
        assert ("fsync-folder", str(target.parent.parent)) in events


@NO_ROOM
def test_no_room_while_storing_a_blob_is_507_and_leaves_nothing(
    tmp_path: Path, disk_fills_in: dict[str, Any], code: int
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put_bytes("media/aa/kept.png", b"accepted before")
    disk_fills_in.update(folder=tmp_path / "blobs", room=1000, code=code)
    source = tmp_path / "upload"
    source.write_bytes(b"x" * 5000)
    for put in (
        lambda: store.put_bytes("media/bb/new.png", b"y" * 5000),
        lambda: store.put_file("media/bb/new.mp4", source),
    ):
        with pytest.raises(ModgateError) as caught:
            put()
        assert caught.value.code == "InsufficientStorageException"
        assert caught.value.http_status == 507
        assert caught.value.details["reason"] == errno.errorcode[code]
        assert all_files(tmp_path / "blobs") == ["media/aa/kept.png"]
    assert store.get_bytes("media/aa/kept.png") == b"accepted before"


def test_no_room_when_the_moved_upload_is_made_durable_is_507(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Network and quota file systems report a full quota when data is flushed (fsync)."""

    def fsync(_fd: int) -> None:
        raise OSError(errno.EDQUOT, os.strerror(errno.EDQUOT))

    store = LocalBlobStore(tmp_path / "blobs")
    spooled = tmp_path / "upload"
    spooled.write_bytes(b"video bytes")
    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(ModgateError) as caught:
        store.put_file("media/ab/two.mp4", spooled, consume=True)
    assert caught.value.code == "InsufficientStorageException"
    assert not store.exists("media/ab/two.mp4") and not store.keys()


@pytest.mark.parametrize("full", ["spool", "blobs"])
def test_an_upload_refused_for_no_room_leaves_nothing_and_can_be_retried(
    tmp_path: Path, disk_fills_in: dict[str, Any], monkeypatch: pytest.MonkeyPatch, full: str
) -> None:
    store = InMemoryMediaStore()
    spool = tmp_path / "spool"
    service = MediaService(
        store, LocalBlobStore(tmp_path / "blobs"), MediaLimits(), spool_dir=spool
    )
    first, _ = service.ingest_bytes(image_bytes("PNG", 64, 64, seed=1))
    kept = all_files(tmp_path / "blobs")
    real_replace = os.replace

    def across_file_systems(source: Any, target: Any) -> None:
        if str(source).startswith(str(spool)):
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        real_replace(source, target)

    # The blob folder a mount of its own: the spooled upload is copied, not moved, so the
    # blob store's disk can be the full one.
    monkeypatch.setattr(os, "replace", across_file_systems)
    disk_fills_in.update(folder=tmp_path / full, room=2000)
    upload = image_bytes("PNG", 400, 300, seed=2)
    with pytest.raises(ModgateError) as caught:
        service.ingest_stream(io.BytesIO(upload))
    assert caught.value.code == "InsufficientStorageException"
    assert all_files(tmp_path / "blobs") == kept
    assert not list(spool.iterdir())
    assert list(store.records) == [first.id]
    assert service.read_blob(first.blob_key) == image_bytes("PNG", 64, 64, seed=1)
    disk_fills_in.update(folder=None)
    record, created = service.ingest_stream(io.BytesIO(upload))
    assert created and service.read_blob(record.blob_key) == upload
