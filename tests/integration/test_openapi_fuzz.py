"""The /v1 API as its own OpenAPI document describes it, fuzzed by schemathesis over real HTTP.

Every operation of the served ``/openapi.json`` is called with generated requests (the coverage
phase's boundary and missing-value cases, then a few random ones) by a client whose API key holds
every scope; no answer may be a server error, and an answer whose status the document declares
must match its schema, content type and headers. Half of the identifiers drawn name things that
exist (an image and a video moderation, a media item, a webhook endpoint made before the run), so
the routes are exercised past their 404s.

Bounded and repeatable: a fixed seed, derandomized generation, ``EXAMPLES_PER_OPERATION`` random
cases per operation, no example database, Hypothesis' files in a temporary folder; the webhook
endpoint made first points at a closed port of 127.0.0.1 (admitted by the outbound allow list),
so nothing leaves the machine.

Checks left out, as they fail today on what the document says rather than on what the API does:
``status_code_conformance`` (the document lists 422 where the API answers 400, and does not list
404, 409, 413 or 415); ``positive_data_acceptance`` (the request schemas are looser than the
routes: any string for a webhook URL or a cursor, any bytes for a file, even a 1 × 1 PNG, and
video labels asked of a still image); ``negative_data_rejection`` (``created_after`` and
``created_before`` take a bare number as a Unix time where the document says date-time). The
JPEG answers of ``IMAGE_ANSWERS`` skip ``content_type_conformance`` for the same reason.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from corpus import image_bytes, video_bytes
from modgate.app import create_app
from modgate.auth.models import SCOPES
from modgate.services import Services
from modgate.settings import load_settings
from servers import LiveServer

# Hypothesis' pytest plugin caches what it reads from the test modules while collecting them,
# before any fixture runs: its files go to a temporary folder, not .hypothesis/ in the working
# directory (the fixture hands the default back once this module's tests are done).
HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="modgate-hypothesis-")
set_hypothesis_home_dir(HYPOTHESIS_HOME)

SEED = 20260514
EXAMPLES_PER_OPERATION = 10
RED = (255, 0, 0)  # the test detector's marker colour: flagged frames, so thumbnails exist
CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.unsupported_method,
    checks.missing_required_header,
]
# Answers that are JPEG images where the document says JSON (the routes do not declare their
# media type yet); every other check applies to them.
IMAGE_ANSWERS = {
    "/v1/media/{media_id}/preview",
    "/v1/moderations/{moderation_id}/thumbnails/{timestamp_ms}",
}


def _make_things(url: str, api_key: str) -> dict[str, list[Any]]:
    """An image and a video moderation, a media item and a webhook endpoint, made through the
    API; the values the fuzzer may use for each path parameter."""
    auth = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=url, headers=auth, timeout=60) as client:
        image = client.post(
            "/v1/moderations?wait=true",
            json={"media": {"base64": base64.b64encode(image_bytes("PNG")).decode()}},
        )
        video = client.post(
            "/v1/moderations", files={"file": ("clip.mp4", video_bytes(colour_at=(0.5, 1.5, RED)))}
        )
        media = client.post("/v1/media", files={"file": ("photo.jpg", image_bytes("JPEG"))})
        # A literal address the allow list admits: no name to resolve, no network needed.
        hook = client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hooks"})
        for response in (image, video, media, hook):
            assert response.status_code in (201, 202), response.text
        deadline = time.monotonic() + 60
        while (done := client.get(f"/v1/moderations/{video.json()['id']}").json())[
            "status"
        ] == "queued":
            assert time.monotonic() < deadline, done
            time.sleep(0.2)
    assert done["status"] == "completed" and done.get("thumbnails"), done
    return {
        "moderation_id": [image.json()["id"], done["id"]],
        "media_id": [media.json()["id"]],
        "endpoint_id": [hook.json()["id"]],
        "timestamp_ms": [int(stamp) for stamp in done["thumbnails"]],
    }


def _config(api_key: str, existing: dict[str, list[Any]]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {api_key}"},
            "request-timeout": 30,
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "dictionaries": {name: {"values": values} for name, values in existing.items()},
            "parameters": {
                f"path.{name}": {"dictionary": name, "probability": 0.5} for name in existing
            },
        }
    )


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("fuzz")
    settings = load_settings(
        data_dir=folder / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        outbound_allow="127.0.0.1/32",
    )
    services = Services.build(settings)
    api_key, _ = services.auth.create_key("fuzz", SCOPES, actor="cli:tests@localhost")
    app = create_app(settings, services)
    try:
        with LiveServer(app) as live:
            existing = _make_things(live.url, api_key)
            yield schemathesis.openapi.from_url(
                f"{live.url}/openapi.json", config=_config(api_key, existing)
            )
    finally:
        services.close()
        set_hypothesis_home_dir(None)
        shutil.rmtree(HYPOTHESIS_HOME, ignore_errors=True)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
def test_the_api_answers_generated_requests_without_server_errors(
    case: schemathesis.Case,
) -> None:
    excluded = [checks.content_type_conformance] if case.operation.path in IMAGE_ANSWERS else []
    # Raises (fails the test) on a server error or an answer that breaks a check.
    case.call_and_validate(checks=[c for c in CHECKS if c not in excluded])
