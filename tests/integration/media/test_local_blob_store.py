"""What only the local blob store promises: a write is atomic (a failed one leaves the blob
before it), and a consumed file on another filesystem is copied. What every blob store does is
in tests/contracts/test_blob_store.py."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from modgate.media import LocalBlobStore


def test_a_consumed_file_on_another_filesystem_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    source = tmp_path / "spooled.bin"
    source.write_bytes(b"z" * 1000)
    real_replace = os.replace

    def replace(src: object, dst: object) -> None:
        if Path(str(src)) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    store.put_file("media/gh/four.bin", source, consume=True)
    assert store.get_bytes("media/gh/four.bin") == b"z" * 1000


def test_local_write_is_atomic(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)

    class Exploding:
        def read(self, _size: int) -> bytes:
            raise OSError("disk gone")

    source = tmp_path / "src.bin"
    source.write_bytes(b"data")
    store.put_bytes("k/v.bin", b"first")
    with pytest.raises(OSError):
        store._write("k/v.bin", lambda out: (out.write(b"partial"), Exploding().read(1)))
    assert store.get_bytes("k/v.bin") == b"first"
    assert [p.name for p in (tmp_path / "k").iterdir()] == ["v.bin"]
    assert not any(name.startswith(".incoming") for name in os.listdir(tmp_path / "k"))
