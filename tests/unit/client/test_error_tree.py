"""The client's error classes are the server's tree, class for class: a code the server can
answer with raises the class of that name, caught by the client twin of every server parent.
Every code the OpenAPI document lists has its class. Only the errors of the Rekognition
endpoint (``POST /``, answered in AWS's shape to AWS SDKs) have none."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import modgate.app  # noqa: F401  (every module that declares an error class)
from modgate.client import errors as client_errors
from modgate.client.errors import BY_CODE, BY_STATUS, CLIENT_ONLY, ModgateAPIError, error_for
from modgate.errors import ModgateError

DOCUMENT = Path(__file__).parents[3] / "docs" / "openapi.json"
# Modules whose errors are answered only by the Rekognition endpoint, in AWS's shape.
AWS_ONLY = ("modgate.rekognition", "modgate.auth.aws")


def _all_server_classes() -> list[type[ModgateError]]:
    found: list[type[ModgateError]] = []
    pending = [ModgateError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return found[1:]


def _server_classes() -> list[type[ModgateError]]:
    return [cls for cls in _all_server_classes() if not cls.__module__.startswith(AWS_ONLY)]


def _documented_codes(node: Any) -> set[str]:
    """Every ``error.code`` enum value of the OpenAPI document."""
    if isinstance(node, list):
        return set().union(*map(_documented_codes, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    codes = set().union(*map(_documented_codes, node.values())) if node else set()
    code = node.get("code")
    if isinstance(code, dict) and isinstance(code.get("enum"), list):
        codes |= set(code["enum"])
    return codes


@pytest.mark.parametrize("server_class", _server_classes(), ids=lambda cls: cls.__name__)
def test_each_server_error_has_its_twin_under_the_twin_of_its_parent(
    server_class: type[ModgateError],
) -> None:
    twin = BY_CODE.get(server_class.__name__)
    assert twin is not None, f"modgate.client.errors has no {server_class.__name__}"
    parent = server_class.__mro__[1]
    expected = ModgateAPIError if parent is ModgateError else BY_CODE[parent.__name__]
    assert twin.__mro__[1] is expected
    raised = error_for(server_class.http_status, server_class.__name__, "m", {"a": 1}, {})
    assert type(raised) is twin and raised.status == server_class.http_status
    assert raised.details == {"a": 1} and raised.code == server_class.__name__


def test_the_client_has_no_class_the_server_lacks() -> None:
    server = {cls.__name__ for cls in _server_classes()}
    assert set(BY_CODE) - {cls.__name__ for cls in CLIENT_ONLY} == server
    assert all(getattr(client_errors, name) is cls for name, cls in BY_CODE.items())


def test_every_code_the_openapi_document_lists_has_its_class() -> None:
    codes = _documented_codes(json.loads(DOCUMENT.read_text()))
    assert len(codes) > 20
    assert codes <= set(BY_CODE), sorted(codes - set(BY_CODE))


def test_each_status_class_answers_that_status_on_the_server() -> None:
    by_name = {cls.__name__: cls for cls in _server_classes()}
    for status, cls in BY_STATUS.items():
        if cls.__name__ in by_name:
            assert by_name[cls.__name__].http_status == status, cls.__name__


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, client_errors.ResourceNotFoundException),  # the router's "NotFound"
        (400, client_errors.InvalidParameterException),
        (429, client_errors.TooManyRequestsException),
        (503, client_errors.StoreUnavailableException),
        (500, ModgateAPIError),
        (405, ModgateAPIError),
        (502, ModgateAPIError),
    ],
)
def test_an_unknown_code_raises_the_class_of_its_status(
    status: int, expected: type[ModgateAPIError]
) -> None:
    raised = error_for(status, "SomethingNewException", "new", None, {"Retry-After": "3"})
    assert type(raised) is expected
    assert raised.code == "SomethingNewException" and raised.status == status
    assert raised.retry_after == "3" and raised.headers["retry-after"] == "3"
    assert str(raised) == f"SomethingNewException ({status}): new"


def test_errors_survive_pickling() -> None:
    error = error_for(404, "PolicyVersionNotFoundException", "none", {"v": "x"}, {"A": "b"})
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is client_errors.PolicyVersionNotFoundException
    assert (again.status, again.code, again.message) == (404, error.code, "none")
    assert again.details == {"v": "x"} and again.headers == {"a": "b"}
    late = pickle.loads(pickle.dumps(client_errors.ModerationTimeoutError({"id": "mod_1"}, 2.0)))
    assert late.moderation_id == "mod_1" and str(late) == "moderation mod_1 is still None after 2 s"
