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

Every check that tells whether the server keeps its document is on: no server error, every
status declared (with the error codes the route lists), content types, answer schemas and
headers, bad data refused, methods not served answered 405, auth not ignored. Left out:
``positive_data_acceptance``, since the request schemas are looser than the routes (any bytes
for a file, even a 1 × 1 PNG; any string for a webhook URL); ``use_after_free`` and
``ensure_resource_availability``, which assume a DELETE removes what a link points at (a deleted
webhook endpoint keeps its delivery log) … The stateful run follows the document's links from
each create operation to the reads of what it made.
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
from hypothesis import HealthCheck, settings
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
STATEFUL_SETTINGS = settings(
    max_examples=12,
    stateful_step_count=4,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
EXAMPLES_PER_OPERATION = 10
RED = (255, 0, 0)  # the test detector's marker colour: flagged frames, so thumbnails exist
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.unsupported_method,
    checks.missing_required_header,
    checks.ignored_auth,
]


def _make_things(url: str, api_key: str) -> dict[str, list[Any]]:
    """An image and a video moderation, a media item, a webhook endpoint, and a hash bank with a
    content, made through the API; the values the fuzzer may use for each path parameter."""
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
        bank = client.post("/v1/banks", json={"name": "FUZZ_KNOWN"})
        content = client.post(
            "/v1/banks/FUZZ_KNOWN/contents", files={"file": ("photo.jpg", image_bytes("JPEG"))}
        )
        for response in (image, video, media, hook, bank, content):
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
        "bank_name": ["FUZZ_KNOWN"],
        "content_id": [content.json()["id"]],
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
                "stateful": {"enabled": True},
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
    # Raises (fails the test) on a server error or an answer that breaks a check.
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code < 500, response.text
    if case.method.upper() == case.operation.method.upper():  # not a method probe (405)
        declared = case.operation.definition.raw["responses"]
        assert str(response.status_code) in declared, (response.status_code, list(declared))


@pytest.mark.slow
def test_the_api_keeps_its_document_across_linked_calls(api_schema: Any) -> None:
    """Create, then read what was made, as the document's links say: every answer on the way
    must keep the document as above."""

    seen: list[tuple[str, int]] = []

    class Machine(api_schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            # The configured bearer key acts; a generated X-API-Key beside it would make every
            # call a refusal (two different keys) and no linked read would find anything.
            if case.headers:
                case.headers.pop("X-API-Key", None)

        def validate_response(
            self,
            response: Any,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            seen.append((case.operation.label, response.status_code))
            # ignored_auth is the per-operation run's: here the configured key always acts.
            linked = [check for check in CHECKS if check is not checks.ignored_auth]
            case.validate_response(response, checks=linked, transport_kwargs=kwargs)

    Machine.run(settings=STATEFUL_SETTINGS)
    # The run went past the door (some calls succeeded) and on to reads of what was made.
    assert len(seen) > STATEFUL_SETTINGS.max_examples, seen
    assert any(200 <= status < 300 for _label, status in seen), seen
    reads = [status for label, status in seen if label.startswith("GET ") and "{" in label]
    assert reads, seen
