"""Reviewers feed the banks, through the console over real HTTP: a block verdict can add the
item to one of its tenant's banks, so near-copies are matched from then on; an appeal that
overturns the block takes it out again."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from bank_media import red_tinted
from banked import Banked
from modgate.policy import policy_from_text
from modgate.policy.store import SqlPolicyStore

PASSWORD = "correct horse battery"
POLICY = """
policy: reviewed
categories:
  Explicit Nudity: {review: 50}
"""


def _signed_in(url: str, username: str) -> httpx.Client:
    """A browser session of ``username``: the sign-in form, then its CSRF token as a header."""
    client = httpx.Client(base_url=url, timeout=60)
    page = client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    signed = client.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert signed.status_code == 303, signed.text
    console = client.get("/console")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', console.text)
    assert csrf, console.text
    client.headers["X-CSRF-Token"] = csrf.group(1)
    return client


def _claim(client: httpx.Client, queue: str) -> str:
    claimed = client.post("/console/claim", data={"queue": queue})
    assert claimed.status_code == 303, claimed.text
    location = claimed.headers["location"]
    assert location.startswith("/console/tasks/"), location
    return location.rsplit("/", 1)[1]


def _verdict(client: httpx.Client, task_id: str, **fields: str) -> dict[str, Any]:
    answer = client.post(
        f"/console/tasks/{task_id}/verdict",
        data={"label_0": "right", "seconds_spent": "3", **fields},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.fixture(scope="module")
def reviewers(banked: Banked) -> dict[str, httpx.Client]:
    store = SqlPolicyStore(banked.services.sessions)
    saved = store.save(policy_from_text(POLICY, "reviewed.yaml"), author="cli:tests@localhost")
    store.activate(saved.version, "reviewed", actor="cli:tests@localhost")
    auth = banked.services.auth
    auth.add_user("rita", PASSWORD, "reviewer", ["*"], actor="cli:tests@localhost")
    auth.add_user("sam", PASSWORD, "senior_reviewer", ["*"], actor="cli:tests@localhost")
    clients = {name: _signed_in(banked.url, name) for name in ("rita", "sam")}
    yield clients
    for client in clients.values():
        client.close()


def _matches(banked: Banked, image: bytes) -> dict[str, Any]:
    found = banked.a.post(
        "/hma/m/lookup", params={"bypass_coinflip": "true"}, files={"photo": ("x.jpg", image)}
    )
    assert found.status_code == 200, found.text
    return found.json()["pdq"]  # type: ignore[no-any-return]


def test_a_block_verdict_banks_the_item_and_an_overturning_appeal_unbanks_it(
    banked: Banked, reviewers: dict[str, httpx.Client]
) -> None:
    banked.a.post("/v1/banks", json={"name": "REVIEWED_BAD"})
    item = red_tinted("astronaut")
    moderation = banked.a.post(
        "/v1/moderations",
        params={"wait": "true"},
        files={"file": ("x.jpg", item)},
        data={"surface": "reviewed"},
    ).json()
    assert moderation["action"] == "review", moderation
    task_id = _claim(reviewers["rita"], "default")
    page = reviewers["rita"].get(f"/console/tasks/{task_id}")
    assert '<option value="REVIEWED_BAD">' in page.text
    # A bank that does not exist refuses the verdict, and nothing is recorded.
    refused = reviewers["rita"].post(
        f"/console/tasks/{task_id}/verdict",
        data={"label_0": "right", "action": "block", "add_to_bank": "NO_SUCH_BANK"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 404
    decided = _verdict(reviewers["rita"], task_id, action="block", add_to_bank="REVIEWED_BAD")
    assert decided["final_action"] == "block" and decided["banked"]["bank"] == "REVIEWED_BAD"
    [content] = banked.a.get("/v1/banks/REVIEWED_BAD/contents").json()["items"]
    assert (content["source"], content["moderation_id"]) == ("review", moderation["id"])
    assert "REVIEWED_BAD" in _matches(banked, red_tinted("astronaut", quality=45))

    appeal = banked.a.post(
        f"/v1/moderations/{moderation['id']}/appeal", json={"statement": "It is a painting."}
    )
    assert appeal.status_code == 201, appeal.text
    appeal_task = _claim(reviewers["sam"], "appeals")
    overturned = _verdict(reviewers["sam"], appeal_task, action="allow")
    assert overturned["appeal"]["outcome"] == "overturned"
    assert overturned["unbanked"] == [content["id"]]
    assert banked.a.get("/v1/banks/REVIEWED_BAD/contents").json()["items"] == []
    assert "REVIEWED_BAD" not in _matches(banked, item)
