"""Texts through the moderation API over real HTTP: a comment as JSON or a multipart field, a
caption beside an image, the findings and the decision the seed policy gives them, and the bad
input a text can be (see conftest.py for the deployments)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from modgate.events.tables import EventRow
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationRow
from pipeline_helpers import plain_png, wait_decided

EMBEDDED = pytest.mark.parametrize("deployment", ["embedded"], indirect=True)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{url}/v1/moderations", timeout=60, **kwargs)


def labels_of(findings: dict[str, Any]) -> dict[str, float]:
    return {label["Name"]: label["Score"] for label in findings["Labels"]}


def test_a_threatening_comment_is_blocked_with_its_findings(deployment) -> None:  # type: ignore[no-untyped-def]
    text = "I will kill you, ｉｄｉｏｔ"
    response = post(
        deployment.url,
        json={"text": text, "language": "en", "context": {"surface": "comments"}},
        params={"wait": "true"},
    )
    assert response.status_code in (201, 202), response.text
    body = response.json()
    if body["status"] != "completed":  # a worker process decides it (celery)
        body = wait_decided(deployment.url, body["id"])
    assert body["kind"] == "text" and body["media"]["kind"] == "text"
    assert (body["action"], body["rule"]) == ("block", "text-hate-or-threat")
    (findings,) = body["text_findings"]
    assert findings["Source"] == "text" and findings["Text"] == text
    assert findings["LanguageCode"] == "en"
    scores = labels_of(findings)
    assert scores["VIOLENCE_OR_THREAT"] >= 85 and scores["INSULT"] >= 50
    insult = next(label for label in findings["Labels"] if label["Name"] == "INSULT")
    assert [text[o["BeginOffset"] : o["EndOffset"]] for o in insult["Offsets"]] == ["ｉｄｉｏｔ"]
    assert findings["NormalisedText"] == "I will kill you, idiot"
    assert body["context"] == {"surface": "comments", "language": "en"}
    assert httpx.get(f"{deployment.url}/v1/moderations/{body['id']}").json() == body


@EMBEDDED
def test_clean_and_pii_comments(deployment) -> None:  # type: ignore[no-untyped-def]
    clean = post(deployment.url, json={"text": "Lovely photo of Scunthorpe!", "wait": True})
    assert clean.status_code == 201
    assert clean.json()["action"] == "allow"
    pii = post(deployment.url, json={"text": "card 4111 1111 1111 1111 pls", "wait": True})
    body = pii.json()
    assert (body["action"], body["rule"]) == ("review", "text-payment-details")
    (entity,) = body["text_findings"][0]["Entities"]
    assert entity["Type"] == "CREDIT_DEBIT_NUMBER"
    assert (entity["BeginOffset"], entity["EndOffset"]) == (5, 24)
    assert body["review"] is not None  # a review task was opened


@EMBEDDED
def test_multipart_text_and_a_caption_beside_an_image(deployment) -> None:  # type: ignore[no-untyped-def]
    fields = {"text": (None, "you are a fcking moron"), "wait": (None, "true")}
    comment = post(deployment.url, files=fields)
    assert comment.status_code == 201, comment.text
    assert comment.json()["action"] == "review"
    captioned = post(
        deployment.url,
        files={"file": ("x.png", plain_png(41))},
        data={"text": "my new bike, call +44 7700 900123", "wait": "true"},
    )
    assert captioned.status_code == 201, captioned.text
    body = captioned.json()
    assert body["kind"] == "image"
    assert (body["action"], body["rule"]) == ("annotate", "text-contact-details")
    (findings,) = body["text_findings"]
    assert findings["Source"] == "caption"
    assert [e["Type"] for e in findings["Entities"]] == ["PHONE"]
    assert body["context"]["caption"] == "my new bike, call +44 7700 900123"
    # The same image without a caption: its stored detections carry no caption of another.
    again = post(deployment.url, files={"file": ("x.png", plain_png(41))}, data={"wait": "true"})
    assert again.json()["text_findings"] == [] and again.json()["action"] == "allow"


@EMBEDDED
def test_the_same_text_is_stored_once_and_counted_as_a_text(deployment) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        assert post(deployment.url, json={"text": "hello again", "wait": True}).status_code == 201
    with deployment.services.sessions() as session:
        kinds = session.scalars(select(MediaRow.kind).where(MediaRow.kind == "text")).all()
        moderations = session.scalar(
            select(func.count()).select_from(ModerationRow).where(ModerationRow.kind == "text")
        )
        events = session.execute(select(EventRow.name, EventRow.payload)).all()
    assert kinds == ["text"] and moderations == 2
    counted = [(name, payload["kind"]) for name, payload in events]
    assert counted.count(("moderation.created", "text")) == 2
    assert counted.count(("moderation.completed", "text")) == 2
    listed = httpx.get(f"{deployment.url}/v1/moderations", params={"kind": "text"}).json()
    assert len(listed["items"]) == 2


BAD_TEXT = [
    ({"json": {"text": ""}}, 400, "EmptyTextException"),
    ({"json": {"text": " \u200b\u200b\n\t "}}, 400, "EmptyTextException"),
    ({"json": {"text": "a" * 65_537}}, 413, "TextSizeLimitExceededException"),
    ({"json": {"text": "\u200b" * 1_000_000}}, 413, "TextSizeLimitExceededException"),
    ({"json": {"text": "nul \u0000 inside"}}, 400, "InvalidTextException"),
    ({"content": b'{"text": "lone \\ud800 surrogate"}'}, 400, "InvalidTextException"),
    ({"content": b'{"text": "bad \xff\xfe utf-8"}'}, 400, "InvalidParameterException"),
    ({"files": {"text": ("t.txt", b"bad \xff utf-8")}}, 400, "InvalidTextException"),
    ({"json": {"text": "hi", "language": "English!"}}, 400, "InvalidParameterException"),
    ({"json": {"text": "hi", "context": {"caption": "x"}}}, 400, "InvalidContextError"),
    ({"json": {"text": 42}}, 400, "InvalidParameterException"),
    ({"json": {"context": {}}}, 400, "InvalidParameterException"),
    ({"files": {"region": (None, "DE")}}, 400, "InvalidParameterException"),
]


@EMBEDDED
@pytest.mark.parametrize(("request_kwargs", "status", "code"), BAD_TEXT)
def test_bad_text_is_a_clear_4xx_and_stores_nothing(  # type: ignore[no-untyped-def]
    deployment, request_kwargs: dict[str, Any], status: int, code: str
) -> None:
    kwargs = dict(request_kwargs)
    if "content" in kwargs:
        kwargs["headers"] = {"content-type": "application/json"}
    response = post(deployment.url, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    with deployment.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ModerationRow)) == 0
        assert session.scalar(select(func.count()).select_from(MediaRow)) == 0


@EMBEDDED
def test_a_spoofed_and_obfuscated_comment_is_flagged(deployment) -> None:  # type: ignore[no-untyped-def]
    text = "f\u200bu\u200bс\u200bk off"  # zero-width spaces and a Cyrillic es
    body = post(deployment.url, json={"text": text, "wait": True}).json()
    (findings,) = body["text_findings"]
    assert findings["MixedScript"] is True
    profanity = next(label for label in findings["Labels"] if label["Name"] == "PROFANITY")
    (offset,) = profanity["Offsets"]
    assert text[offset["BeginOffset"] : offset["EndOffset"]] == "f\u200bu\u200bс\u200bk"
    assert body["action"] == "review"
    assert json.dumps(body)  # the answer is plain JSON


@EMBEDDED
def test_a_text_is_judged_again_for_a_viewer_from_its_stored_findings(deployment) -> None:  # type: ignore[no-untyped-def]
    """A text's detections are stored like an image's, so a decision for a viewer (or a
    backtest) reads its findings, and the same text in another language is its own result."""
    threat = post(deployment.url, json={"text": "I will kill you", "wait": True}).json()
    answer = httpx.get(f"{deployment.url}/v1/moderations/{threat['id']}/decision")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["action"], answer.json()["rule"]) == ("block", "text-hate-or-threat")
    german = post(
        deployment.url, json={"text": "I will kill you", "language": "de", "wait": True}
    ).json()
    assert german["action"] == "allow"  # the English word lists do not read German
    assert german["model_version"].endswith(";language=de")
    again = httpx.get(f"{deployment.url}/v1/moderations/{german['id']}/decision").json()
    assert again["action"] == "allow"
