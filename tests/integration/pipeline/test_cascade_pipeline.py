"""The cascade end to end through the real pipeline: the marker detector locally, a guard model
(a fake OpenAI-compatible server on 127.0.0.1) remotely, a rule per surface. Only the items a
surface's rule sends reach the remote model, its labels change the decision, and the share sent
remote is counted."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from modgate.app import create_app
from modgate.detection.remote.testing import FakeGuardServer, Scripted
from modgate.detection.remote.usage import remote_usage
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import marker_png, wait_decided
from servers import LiveServer

HATE = {
    "hate": {
        "prompt": "A: Nazi symbols\nN: none\nAnswer:",
        "options": {"A": "Nazi Party", "N": None},
    }
}


def green_png(seed: int) -> bytes:
    image = Image.new("RGB", (160, 160), (0, 200, 0))
    image.putpixel((seed, 0), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def green_is_hate(prompt: str, image: Image.Image) -> str:
    red, green, _ = image.convert("RGB").getpixel((80, 80))  # type: ignore[misc]
    return "A" if green > 150 and red < 100 else "N"


@pytest.fixture
def cascade(tmp_path: Path) -> Iterator[tuple[str, FakeGuardServer]]:
    with FakeGuardServer(green_is_hate) as guard:
        settings = load_settings(
            data_dir=tmp_path / "data",
            auth={"api_keys_required": False},
            outbound_allow="127.0.0.1/32",
            detection={
                "enabled": ["marker", "openai_guard"],
                "options": {
                    "openai_guard": {
                        "base_url": guard.base_url,
                        "model": "guard-vl",
                        "categories": HATE,
                        "retries": 0,
                        "timeout_seconds": 5,
                    }
                },
                "cascade": {
                    "*": {"remote": "never"},
                    "profile": {"labels": ["Hate Symbols"]},  # no local model covers it
                    "comments": {"band": [90, 100]},  # the marker's 97 counts as unsure here
                },
            },
            pipeline={"workers": 1, "poll_seconds": 0.1, "retry_backoff_seconds": 0.1},
            metrics={"prometheus": "open"},
        )
        services = Services.build(settings)
        try:
            with LiveServer(create_app(settings, services)) as server:
                yield server.url, guard
        finally:
            services.close()


def moderate(url: str, media: bytes, surface: str) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.png", media)},
        data={"surface": surface},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_only_what_a_surface_needs_goes_remote(cascade: tuple[str, FakeGuardServer]) -> None:
    url, guard = cascade
    before = remote_usage().snapshot()
    scraped_before = _scrape(url)

    # A surface without its own rule: local models only; the hate symbol goes unseen.
    assert moderate(url, green_png(1), "default")["action"] == "allow"
    assert guard.requests == []

    # A surface that needs Hate Symbols, which no local model covers: every item goes remote.
    profile = moderate(url, green_png(2), "profile")
    assert profile["action"] == "block"
    assert "openai_guard-1/guard-vl/" in profile["model_version"]
    assert len(guard.requests) == 1
    assert moderate(url, marker_png(3), "profile")["action"] == "block"  # local hit, still asked
    assert len(guard.requests) == 2

    # The same bytes as the first item, now on that surface and run by a worker (which looks
    # for stored detections first): detected again with the remote model, not answered from the
    # local-only detections stored for those bytes.
    queued = httpx.post(
        f"{url}/v1/moderations",
        files={"file": ("x.png", green_png(1))},
        data={"surface": "profile"},
    )
    assert queued.status_code == 202
    assert wait_decided(url, queued.json()["id"])["action"] == "block"
    assert len(guard.requests) == 3

    # A surface with an uncertainty band: only the item whose local result lies in it.
    moderate(url, green_png(4), "comments")  # nothing local: certain, stays local
    assert len(guard.requests) == 3
    moderate(url, marker_png(5), "comments")  # 97 lies in the band [90, 100)
    assert len(guard.requests) == 4

    after = remote_usage().snapshot()
    looked = {s: after.cascade[s][0] - before.cascade.get(s, (0, 0))[0] for s in after.cascade}
    sent = {s: after.cascade[s][1] - before.cascade.get(s, (0, 0))[1] for s in after.cascade}
    assert (looked["profile"], sent["profile"]) == (3, 3)
    assert (looked["comments"], sent["comments"]) == (2, 1)
    assert (looked["default"], sent["default"]) == (1, 0)
    # The same counts in /metrics, for Prometheus (backend calls labelled by backend).
    scraped = _scrape(url)
    moved = {name: scraped.get(name, 0.0) - scraped_before.get(name, 0.0) for name in scraped}
    assert moved["modgate_cascade_items_total"] == 6
    assert moved["modgate_cascade_remote_items_total"] == 4
    assert moved['modgate_remote_calls_total{backend="openai_guard"}'] == 4
    assert moved['modgate_remote_images_total{backend="openai_guard"}'] == 4


def _scrape(url: str) -> dict[str, float]:
    """The counters of a ``/metrics`` scrape, by name and labels."""
    answer = httpx.get(f"{url}/metrics", timeout=30)
    assert answer.status_code == 200, answer.text
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[sample.name + (f"{{{labels}}}" if labels else "")] = sample.value
    return found


def test_a_remote_failure_never_lets_an_item_through(cascade: tuple[str, FakeGuardServer]) -> None:
    url, guard = cascade
    guard.fail_next(*[Scripted(status=503)] * 20)
    body = moderate(url, green_png(7), "profile")
    assert body["action"] == "review"  # failed for good after its tries: a human decides
    assert body["status"] == "failed"
    assert "openai_guard" in body["error"]["message"]
