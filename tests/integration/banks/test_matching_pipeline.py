"""Bank matches in the moderation pipeline, over real HTTP: a near-copy of banked content is
blocked by the policy's bank rule (shown in the moderation, its reasons and trace), known-good
content keeps a label from flagging it, an exact copy is decided without the detectors, and a
tenant's banks never decide another tenant's items."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bank_media import jpeg, near_copies, photo, red_tinted, slideshow
from banked import Banked
from modgate.policy import policy_from_text
from modgate.policy.store import SqlPolicyStore

POLICY = """
policy: banked
categories:
  Explicit Nudity: {block: 80}
banks:
  TERROR_KNOWN: {action: block, max_distance: 31}
  MAYBE_BAD: {action: review, queue: banks}
  ART_OK: {suppress: [Explicit Nudity]}
"""


@pytest.fixture(scope="module")
def surface(banked: Banked) -> str:
    store = SqlPolicyStore(banked.services.sessions)
    saved = store.save(policy_from_text(POLICY, "banked.yaml"), author="cli:tests@localhost")
    store.activate(saved.version, "banked", actor="cli:tests@localhost")
    return "banked"


def _moderate(client: Any, image: bytes, surface: str) -> dict[str, Any]:
    answer = client.post(
        "/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.jpg", image)},
        data={"surface": surface},
    )
    assert answer.status_code in (200, 201), answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == "completed", body
    return body


def test_a_near_copy_of_banked_content_is_blocked_by_the_bank_rule(
    banked: Banked, surface: str
) -> None:
    banked.a.post("/v1/banks", json={"name": "TERROR_KNOWN"})
    original = photo("rocket")
    content = banked.a.post(
        "/v1/banks/TERROR_KNOWN/contents", files={"file": ("r.jpg", jpeg(original))}
    ).json()
    copy = near_copies(original)["1% cropped off each side"]
    body = _moderate(banked.a, copy, surface)
    assert (body["action"], body["rule"]) == ("block", "banks/TERROR_KNOWN")
    [match] = body["bank_matches"]
    assert match["bank"] == "TERROR_KNOWN" and match["content_id"] == content["id"]
    assert match["signal_type"] == "pdq" and 0 < match["distance"] <= 31
    assert body["decision"]["reasons"][0].startswith(
        f"bank TERROR_KNOWN content {content['id']} at distance"
    )
    # An unrelated photo is not touched by the bank.
    other = _moderate(banked.a, jpeg(photo("coffee")), surface)
    assert other["bank_matches"] == [] and other["action"] == "allow"
    # Another tenant's item with the same picture is not matched by this tenant's bank.
    theirs = _moderate(banked.b, copy, surface)
    assert theirs["bank_matches"] == [] and theirs["action"] == "allow"


def test_a_review_bank_sends_the_item_to_its_queue(banked: Banked, surface: str) -> None:
    banked.a.post("/v1/banks", json={"name": "MAYBE_BAD"})
    picture = jpeg(photo("camera"))
    banked.a.post("/v1/banks/MAYBE_BAD/contents", files={"file": ("c.jpg", picture)})
    body = _moderate(banked.a, picture, surface)
    assert (body["action"], body["rule"]) == ("review", "banks/MAYBE_BAD")
    assert body["decision"]["review"]["queue"] == "banks"


def test_known_good_content_keeps_its_label_from_flagging_it(banked: Banked, surface: str) -> None:
    flagged = red_tinted("coffee")
    assert _moderate(banked.a, flagged, surface)["action"] == "block"  # the marker label
    banked.a.post("/v1/banks", json={"name": "ART_OK", "negative": True})
    added = banked.a.post("/v1/banks/ART_OK/contents", files={"file": ("m.jpg", flagged)})
    assert added.status_code == 201, added.text
    body = _moderate(banked.a, red_tinted("coffee", quality=40), surface)  # a near-copy
    assert body["action"] == "allow", body["decision"]
    assert body["bank_matches"][0]["bank"] == "ART_OK" and body["bank_matches"][0]["negative"]
    trace = body["decision"].get("trace") or []
    assert not trace or any(step["outcome"] == "suppressed by a bank" for step in trace)


def test_an_exact_copy_in_a_blocking_bank_is_decided_without_the_detectors(
    banked: Banked, surface: str
) -> None:
    banked.a.post("/v1/banks", json={"name": "TERROR_KNOWN"})
    flagged = red_tinted("astronaut")
    added = banked.a.post("/v1/banks/TERROR_KNOWN/contents", files={"file": ("m.jpg", flagged)})
    assert added.status_code == 201, added.text
    body = _moderate(banked.a, flagged, surface)
    assert (body["action"], body["rule"]) == ("block", "banks/TERROR_KNOWN")
    # The marker detector would have found its label; the detectors did not run.
    assert body["labels"] == [] and body["model_version"] == "banks"
    assert body["bank_matches"][0]["distance"] == 0


def test_a_reencoded_copy_of_a_banked_video_is_blocked(banked: Banked, surface: str) -> None:
    banked.a.post("/v1/banks", json={"name": "TERROR_KNOWN"})
    names = ("chelsea", "coffee", "astronaut", "camera")
    added = banked.a.post(
        "/v1/banks/TERROR_KNOWN/contents", files={"file": ("v.mp4", slideshow(names))}
    )
    assert added.status_code == 201, added.text
    submitted = banked.a.post(
        "/v1/moderations",
        files={"file": ("c.mp4", slideshow(names, side=192))},
        data={"surface": surface},
    )
    assert submitted.status_code in (201, 202), submitted.text
    moderation_id = submitted.json()["id"]
    deadline = time.monotonic() + 120
    while (body := banked.a.get(f"/v1/moderations/{moderation_id}").json())["status"] == "queued":
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
    assert (body["action"], body["rule"]) == ("block", "banks/TERROR_KNOWN"), body["decision"]
    [match] = [m for m in body["bank_matches"] if m["content_id"] == added.json()["id"]]
    assert match["signal_type"] == "vpdq" and match["share"] >= 0.5


def test_a_viewer_decision_keeps_the_items_bank_match(banked: Banked, surface: str) -> None:
    banked.a.post("/v1/banks", json={"name": "TERROR_KNOWN"})
    original = photo("astronaut")
    banked.a.post("/v1/banks/TERROR_KNOWN/contents", files={"file": ("a.jpg", jpeg(original))})
    body = _moderate(banked.a, near_copies(original)["half size"], surface)
    assert body["rule"] == "banks/TERROR_KNOWN"
    # Judged again for a viewer from what was stored: the match still blocks it.
    viewer = banked.a.get(f"/v1/moderations/{body['id']}/decision", params={"region": "DE"})
    assert viewer.status_code == 200, viewer.text
    assert (viewer.json()["action"], viewer.json()["rule"]) == ("block", "banks/TERROR_KNOWN")
    page = banked.a.post(
        "/v1/decisions",
        json={"context": {"audience": "18+"}, "items": [{"moderation_id": body["id"]}]},
    )
    assert page.json()["decisions"][0]["rule"] == "banks/TERROR_KNOWN"
