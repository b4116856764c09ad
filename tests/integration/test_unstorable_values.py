"""Over real HTTP on PostgreSQL: values SQLite stores but PostgreSQL refuses (a NUL character in
a text or JSON field, an unpaired surrogate in JSON) are the caller's 400, never a 500, and
nothing of the refused request is listed afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from modgate.app import create_app
from modgate.services import Services
from modgate.settings import load_settings
from servers import LiveServer


@pytest.fixture
def api(tmp_path: Any, postgres_url: str) -> Iterator[httpx.Client]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        auth={"api_keys_required": False},
    )
    services = Services.build(settings)
    with (
        LiveServer(create_app(settings, services)) as live,
        httpx.Client(base_url=live.url, timeout=30) as client,
    ):
        yield client
    services.close()


@pytest.mark.parametrize(
    "fields",
    [
        {"external_id": "order\u00001"},
        {"client_request_token": "token\u0000x"},
        {"context": {"surface": "comments\u0000"}},
        {"metadata": {"note\u0000": "x"}},
        {"metadata": {"note": "half \ud800 a pair"}},
    ],
    ids=["external_id", "token", "context", "metadata-key", "metadata-surrogate"],
)
def test_a_value_postgresql_cannot_store_is_a_400(
    api: httpx.Client, fields: dict[str, Any]
) -> None:
    body = json.dumps({"text": "hello there", **fields}).encode()
    answer = api.post(
        "/v1/moderations?wait=true", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "InvalidParameterException"
    assert "NUL" in answer.json()["error"]["message"]
    assert api.get("/v1/moderations").json()["items"] == []


def test_a_filter_postgresql_cannot_compare_is_a_400(api: httpx.Client) -> None:
    answer = api.get("/v1/moderations", params={"external_id": "a\u0000b"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "InvalidParameterException"
