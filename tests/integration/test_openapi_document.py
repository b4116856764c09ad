"""The OpenAPI document a client reads: served at /openapi.json, the same as docs/openapi.json,
with every error a route answers declared (codes included), never a 422, and security on every
/v1 operation. The conformance run that holds the server to it is test_openapi_fuzz.py."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from modgate.auth.models import SCOPES
from servers import LiveServer, run_modgate

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO / "docs" / "openapi.json"


@pytest.fixture
def keyed(settings: Any, services: Any) -> Any:
    """A live server that requires API keys, and a key with every scope."""
    from modgate.app import create_app

    settings.auth.api_keys_required = True
    key, _ = services.auth.create_key("doc", SCOPES)
    with LiveServer(create_app(settings, services)) as server:
        yield server, key


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_the_served_document_is_the_one_in_the_repository(live_server: LiveServer) -> None:
    served = httpx.get(f"{live_server.url}/openapi.json").json()
    assert served == json.loads(DOCUMENT.read_text(encoding="utf-8")), (
        "docs/openapi.json is stale: run `modgate openapi -o docs/openapi.json`"
    )


def test_every_operation_declares_its_errors_and_security() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert "HTTPValidationError" not in document["components"]["schemas"]
    operations = _operations(document)
    assert len(operations) >= 15
    for method, path, operation in operations:
        where = f"{method} {path}"
        responses = operation["responses"]
        assert "422" not in responses, where
        assert {"500", "503"} <= set(responses), where
        assert operation["operationId"] and operation["tags"], where
        for status, response in responses.items():
            if int(status) < 400:
                continue
            schema = response["content"]["application/json"]["schema"]
            codes = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
            assert schema["allOf"][0] == {"$ref": "#/components/schemas/Error"}, where
            assert codes and all(code in response["description"] for code in codes), where
        if path.startswith("/v1/"):
            scopes = operation["x-required-scopes"]
            assert set(scopes) <= set(SCOPES), where
            assert operation["security"] == [{"bearerAuth": scopes}, {"apiKeyAuth": scopes}]
            assert "AuthenticationRequiredException" in responses["401"]["description"], where
            assert "AccessDeniedException" in responses["403"]["description"], where
        else:
            assert operation["security"] == [], where


def test_the_command_writes_and_checks_the_document(tmp_path: Path) -> None:
    env = dict(os.environ)
    written = tmp_path / "openapi.json"
    assert run_modgate(["openapi", "-o", str(written)], env).returncode == 0
    assert written.read_text(encoding="utf-8") == DOCUMENT.read_text(encoding="utf-8")
    assert run_modgate(["openapi", "-o", str(written), "--check"], env).returncode == 0
    written.write_text("{}", encoding="utf-8")
    stale = run_modgate(["openapi", "-o", str(written), "--check"], env)
    assert stale.returncode == 1 and "not the served document" in stale.stderr
    assert written.read_text(encoding="utf-8") == "{}"


def test_two_different_api_keys_are_refused(keyed: Any) -> None:
    server, key = keyed
    url = f"{server.url}/v1/review/queues"
    assert httpx.get(url, headers={"X-API-Key": key}).status_code == 200
    same = httpx.get(url, headers={"X-API-Key": key, "Authorization": f"Bearer {key}"})
    assert same.status_code == 200
    for headers in (
        {"X-API-Key": "mgk_not-a-key", "Authorization": f"Bearer {key}"},
        {"X-API-Key": "", "Authorization": f"Bearer {key}"},
        {"X-API-Key": key, "Authorization": "Bearer mgk_another"},
    ):
        refused = httpx.get(url, headers=headers)
        assert refused.status_code == 401, headers
        assert refused.json()["error"]["code"] == "AuthenticationRequiredException"


def test_times_are_iso_8601_as_documented(live_server: LiveServer) -> None:
    url = f"{live_server.url}/v1/moderations"
    for value in ("1700000000", "0.5", "1e9", "yesterday"):
        answer = httpx.get(url, params={"created_after": value})
        assert answer.status_code == 400, value
        assert answer.json()["error"]["code"] == "InvalidParameterException"
    for value in ("2026-05-14T09:30:00Z", "2026-05-14T09:30:00+02:00", "2026-05-14T09:30:00"):
        assert httpx.get(url, params={"created_before": value}).status_code == 200, value


def test_every_example_is_a_real_answer_that_fits_its_schema() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    # The document as a resource, so "#/components/…" in a schema resolves inside it.
    registry = Registry().with_resource(
        "urn:openapi", Resource.from_contents(document, DRAFT202012)
    )
    checked = 0
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            if "example" not in media:
                continue
            pointer = "/".join(
                part.replace("~", "~0").replace("/", "~1")
                for part in ("paths", path, method.lower(), "responses", status, "content")
            )
            where = {"$ref": f"urn:openapi#/{pointer}/application~1json/schema"}
            validator = Draft202012Validator(where, registry=registry)
            errors = [e.message for e in validator.iter_errors(media["example"])]
            assert not errors, f"{method} {path} {status}: {errors}"
            checked += 1
    assert checked >= 15
