"""Over real HTTP: a text sent in a multipart form is held to MODGATE_MAX_TEXT_BYTES like one
sent in JSON, whatever the limit is set to, and refused in the same words when over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from modgate.settings import load_settings

LIMIT = 200_000


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    return load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        auth={"api_keys_required": False},
        max_text_bytes=LIMIT,
    )


def test_a_form_text_is_held_to_the_text_limit_set(live_server) -> None:  # type: ignore[no-untyped-def]
    url = f"{live_server.url}/v1/moderations?wait=true"
    long_text = "words " * 20_000  # 120 000 bytes: over the 64 KiB a form field had, under LIMIT
    as_field = httpx.post(url, files={"text": (None, long_text)}, timeout=60)
    assert as_field.status_code == 201, as_field.text
    assert as_field.json()["kind"] == "text"
    too_long = "words " * 40_000  # 240 000 bytes
    for answer in (
        httpx.post(url, files={"text": (None, too_long)}, timeout=60),
        httpx.post(url, json={"text": too_long}, timeout=60),
    ):
        assert answer.status_code == 413, answer.text
        assert answer.json()["error"]["code"] == "TextSizeLimitExceededException"
