"""Live-stream tests: their settings (see ``stream_servers``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_servers import stream_settings


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    return stream_settings(tmp_path)
