"""``verify_webhook``: what the server signs (its own ``sign``) is accepted, anything else and
anything too old refused; the header is found in any case."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from modgate.client import WebhookSignatureError, verify_webhook
from modgate.webhook_signature import sign

SECRET = "a-secret-of-sixteen-bytes"
BODY = json.dumps({"id": 7, "type": "moderation.completed", "created_at": "t", "data": {}}).encode()
NOW = 1_700_000_000


def test_a_signed_body_gives_its_event() -> None:
    headers = {"modgate-signature": sign(SECRET, NOW, BODY)}
    assert verify_webhook(headers, BODY, SECRET, now=NOW + 10)["id"] == 7
    assert verify_webhook(headers, BODY.decode(), SECRET, now=NOW)["type"] == "moderation.completed"
    assert verify_webhook(
        {"MODGATE-SIGNATURE": headers["modgate-signature"]}, BODY, SECRET, now=NOW
    )


@pytest.mark.parametrize(
    ("headers", "body", "secret", "now"),
    [
        ({"Modgate-Signature": sign(SECRET, NOW, BODY)}, BODY + b" ", SECRET, NOW),
        ({"Modgate-Signature": sign(SECRET, NOW, BODY)}, BODY, "another-secret-here", NOW),
        ({"Modgate-Signature": sign(SECRET, NOW, BODY)}, BODY, SECRET, NOW + 301),
        ({"Modgate-Signature": "t=x,v1=y"}, BODY, SECRET, NOW),
        ({}, BODY, SECRET, NOW),
        ({"Modgate-Signature": sign(SECRET, NOW, b"not json")}, b"not json", SECRET, NOW),
    ],
    ids=["changed body", "other secret", "too old", "garbage", "unsigned", "signed non-JSON"],
)
def test_anything_else_is_refused(
    headers: dict[str, str], body: bytes, secret: str, now: int
) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_webhook(headers, body, secret, now=now)


def test_the_tolerance_is_the_callers() -> None:
    headers = {"Modgate-Signature": sign(SECRET, NOW, BODY)}
    assert verify_webhook(headers, BODY, SECRET, now=NOW + 3000, tolerance_seconds=3600)


def test_importing_the_client_loads_nothing_of_the_server() -> None:
    heavy = ("fastapi", "starlette", "sqlalchemy", "pydantic", "onnxruntime", "numpy", "PIL")
    code = (
        "import sys, modgate.client; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r} "
        "or (m.startswith('modgate.') and not m.startswith('modgate.client') "
        "and m not in ('modgate.version', 'modgate.webhook_signature'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"
