"""Tenants over real HTTP: a client sees, changes and hears about only its own tenant's objects.

Two tenants, ``acme`` (A) and ``globex`` (B), each with a key holding every scope. For every
route that takes an id, B asking for A's object gets exactly what B gets for an id that never
existed (status and body), so ids cannot be probed; listings show only the caller's objects; a
``client_request_token`` or the same bytes used by both make two separate objects with nothing
in the answer telling B that A was first; A's webhooks never hear of B's moderations.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from modgate.app import create_app
from modgate.auth.models import SCOPES
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import Receiver, marker_png, wait_for
from servers import LiveServer

RECEIVERS = "127.0.0.1/32"  # the test receivers listen here (MODGATE_OUTBOUND_ALLOW)


@dataclass
class Tenants:
    url: str
    a: httpx.Client
    b: httpx.Client
    services: Any


def _client(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60)


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants]:
    tmp = tmp_path_factory.mktemp("tenants")
    settings = load_settings(
        data_dir=tmp / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.1},
        outbound_allow=RECEIVERS,
    )
    services = Services.build(settings)
    key_a = services.auth.create_key("shop", SCOPES, "acme")[0]
    key_b = services.auth.create_key("shop", SCOPES, "globex")[0]  # the same key name
    with (
        LiveServer(create_app(settings, services)) as live,
        _client(live.url, key_a) as a,
        _client(live.url, key_b) as b,
    ):
        yield Tenants(live.url, a, b, services)
    services.close()


def _moderate(client: httpx.Client, image: bytes, **data: str) -> dict[str, Any]:
    answer = client.post(
        "/v1/moderations", params={"wait": "true"}, files={"file": ("x.png", image)}, data=data
    )
    assert answer.status_code in (200, 201, 202), answer.text
    body: dict[str, Any] = answer.json()
    return body


def _same_as_unknown(
    client: httpx.Client, method: str, path: str, real_id: str, body: dict[str, Any] | None = None
) -> None:
    """``client`` gets for ``path`` (or the JSON ``body``) naming ``real_id`` what it gets
    for an id that never existed: the same status and the same body, the id aside."""
    unknown_id = real_id[:4] + "0" * (len(real_id) - 4)

    def send(object_id: str) -> httpx.Response:
        as_json = json.loads(json.dumps(body).replace(real_id, object_id)) if body else None
        return client.request(method, path.replace(real_id, object_id), json=as_json)

    theirs, never = send(real_id), send(unknown_id)
    assert theirs.status_code == never.status_code == 404, (theirs.text, never.text)
    assert theirs.text.replace(real_id, unknown_id) == never.text
    assert theirs.json()["error"]["code"] == "ResourceNotFoundException"


def test_another_tenants_moderation_is_not_found_on_any_route(tenants: Tenants) -> None:
    moderation = _moderate(tenants.a, marker_png(101), external_id="post-1")
    assert moderation["final_action"] == "block"
    mid = moderation["id"]
    assert tenants.a.get(f"/v1/moderations/{mid}").status_code == 200
    # Labels are for videos: A is told so (400), not that the moderation is missing.
    assert tenants.a.get(f"/v1/moderations/{mid}/labels").status_code == 400
    for path in (
        f"/v1/moderations/{mid}",
        f"/v1/moderations/{mid}/labels",
        f"/v1/moderations/{mid}/thumbnails/0",
        f"/v1/moderations/{mid}/decision",
    ):
        _same_as_unknown(tenants.b, "GET", path, mid)
    appeal = {"statement": "It is a painting."}
    _same_as_unknown(tenants.b, "POST", f"/v1/moderations/{mid}/appeal", mid, appeal)
    # B's attempt used nothing up: A's own appeal is the first.
    assert tenants.a.post(f"/v1/moderations/{mid}/appeal", json=appeal).status_code == 201
    shown = tenants.a.get(f"/v1/moderations/{mid}").json()
    assert shown["external_id"] == "post-1"


def test_another_tenants_moderation_is_a_not_found_entry_in_a_page_of_decisions(
    tenants: Tenants,
) -> None:
    """A page of decisions naming another tenant's moderation is answered, with a 404 entry
    for it exactly like an id that never existed, beside the caller's own item."""
    theirs = _moderate(tenants.a, marker_png(109))["id"]
    mine = _moderate(tenants.b, marker_png(110))["id"]
    never = theirs[:4] + "0" * (len(theirs) - 4)

    def page(moderation_id: str) -> list[dict[str, Any]]:
        items = [{"moderation_id": moderation_id}, {"moderation_id": mine}]
        answer = tenants.b.post("/v1/decisions", json={"items": items})
        assert answer.status_code == 200, answer.text
        decisions: list[dict[str, Any]] = answer.json()["decisions"]
        return decisions

    with_theirs, with_never = page(theirs), page(never)
    assert with_theirs[0]["status"] == "not_found"
    assert json.dumps(with_theirs).replace(theirs, never) == json.dumps(with_never)
    assert with_theirs[1]["status"] == "decided" and with_theirs[1]["action"] == "block"
    assert tenants.a.get(f"/v1/moderations/{theirs}/decision").json()["action"] == "block"


def test_another_tenants_media_is_not_found(tenants: Tenants) -> None:
    stored = tenants.a.post("/v1/media", files={"file": ("x.png", marker_png(102))})
    assert stored.status_code == 201, stored.text
    media_id = stored.json()["id"]
    assert tenants.a.get(f"/v1/media/{media_id}").status_code == 200
    assert tenants.a.get(f"/v1/media/{media_id}/preview").status_code == 200
    _same_as_unknown(tenants.b, "GET", f"/v1/media/{media_id}", media_id)
    _same_as_unknown(tenants.b, "GET", f"/v1/media/{media_id}/preview", media_id)
    by_id = {"media": {"media_id": media_id}}
    _same_as_unknown(tenants.b, "POST", "/v1/moderations", media_id, by_id)


def test_another_tenants_webhook_cannot_be_read_or_deleted(tenants: Tenants) -> None:
    with Receiver() as receiver:
        endpoint = tenants.a.post("/v1/webhooks", json={"url": receiver.url}).json()
        wid = endpoint["id"]
        assert tenants.a.get(f"/v1/webhooks/{wid}/deliveries").status_code == 200
        _same_as_unknown(tenants.b, "GET", f"/v1/webhooks/{wid}/deliveries", wid)
        _same_as_unknown(tenants.b, "DELETE", f"/v1/webhooks/{wid}", wid)
        assert wid in [e["id"] for e in tenants.a.get("/v1/webhooks").json()["items"]]
        assert tenants.a.delete(f"/v1/webhooks/{wid}").status_code == 204


def test_listings_show_only_the_callers_objects(tenants: Tenants) -> None:
    image = marker_png(103)
    mine = _moderate(tenants.a, image)["id"]
    theirs = _moderate(tenants.b, marker_png(104))["id"]
    with Receiver() as receiver:
        tenants.a.post("/v1/webhooks", json={"url": receiver.url})
        listed_a = [m["id"] for m in tenants.a.get("/v1/moderations").json()["items"]]
        listed_b = [m["id"] for m in tenants.b.get("/v1/moderations").json()["items"]]
        assert mine in listed_a and theirs not in listed_a
        assert theirs in listed_b and mine not in listed_b
        sha256 = hashlib.sha256(image).hexdigest()
        assert tenants.b.get("/v1/moderations", params={"sha256": sha256}).json()["items"] == []
        assert tenants.b.get("/v1/webhooks").json()["items"] == []
        assert tenants.a.get("/v1/webhooks").json()["items"] != []


def test_one_client_request_token_makes_a_moderation_per_tenant(tenants: Tenants) -> None:
    image = marker_png(105)
    first = _moderate(tenants.a, image, client_request_token="order-1")
    second = _moderate(tenants.b, image, client_request_token="order-1")
    assert first["id"] != second["id"]
    # Each tenant's token still means its own request.
    assert _moderate(tenants.a, image, client_request_token="order-1")["id"] == first["id"]
    assert _moderate(tenants.b, image, client_request_token="order-1")["id"] == second["id"]


def test_the_same_bytes_give_each_tenant_its_own_media_record(tenants: Tenants) -> None:
    image = marker_png(106)
    first = tenants.a.post("/v1/media", files={"file": ("x.png", image)})
    again = tenants.a.post("/v1/media", files={"file": ("x.png", image)})
    second = tenants.b.post("/v1/media", files={"file": ("x.png", image)})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    # B is answered as for bytes never seen: a new record, created now.
    assert second.status_code == 201 and second.json()["created"] is True
    assert second.json()["id"] != first.json()["id"]
    created = [dt.datetime.fromisoformat(r.json()["created_at"]) for r in (first, second)]
    assert created[1] > created[0]
    assert second.json()["sha256"] == first.json()["sha256"]


def test_a_preview_another_tenant_had_made_is_not_shared(tenants: Tenants) -> None:
    """A's preview of some bytes is made and kept; B asking for the preview of the same bytes
    gets one made for B (not A's, which would come back measurably faster)."""
    image = marker_png(108)
    mine = tenants.a.post("/v1/media", files={"file": ("x.png", image)}).json()
    theirs = tenants.b.post("/v1/media", files={"file": ("x.png", image)}).json()
    assert tenants.a.get(f"/v1/media/{mine['id']}/preview").status_code == 200
    blobs = tenants.services.blobs
    records = [tenants.services.media.store.get(item["id"]) for item in (mine, theirs)]
    assert records[0].blurred_key != records[1].blurred_key
    assert blobs.exists(records[0].blurred_key) and not blobs.exists(records[1].blurred_key)
    assert tenants.b.get(f"/v1/media/{theirs['id']}/preview").status_code == 200
    assert blobs.exists(records[1].blurred_key)


def test_a_webhook_hears_only_of_its_own_tenants_moderations(tenants: Tenants) -> None:
    with Receiver() as heard_by_a, Receiver() as heard_by_b:
        tenants.a.post(
            "/v1/webhooks", json={"url": heard_by_a.url, "events": ["moderation.completed"]}
        )
        tenants.b.post(
            "/v1/webhooks", json={"url": heard_by_b.url, "events": ["moderation.completed"]}
        )
        ours = _moderate(tenants.a, marker_png(107))["id"]
        theirs = _moderate(tenants.b, marker_png(107))["id"]  # the same bytes
        wait_for(lambda: _heard(heard_by_a, ours) and _heard(heard_by_b, theirs), timeout=30)
        assert not _heard(heard_by_a, theirs)
        assert not _heard(heard_by_b, ours)


def _heard(receiver: Receiver, moderation_id: str) -> bool:
    return any(event["data"].get("moderation_id") == moderation_id for event in receiver.events())


def test_reviewers_work_every_tenants_items_and_see_whose_they_are(tenants: Tenants) -> None:
    moderation = _moderate(tenants.b, marker_png(108))["id"]
    appeal = {"statement": "It is a tomato."}
    assert tenants.b.post(f"/v1/moderations/{moderation}/appeal", json=appeal).status_code == 201
    tenants.services.auth.add_user("sam", "correct horse battery", "senior_reviewer", ["*"])
    with httpx.Client(base_url=tenants.url, follow_redirects=True) as console:
        form = console.get("/console/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        page = console.post(
            "/console/login",
            data={
                "username": "sam",
                "password": "correct horse battery",
                "csrf_token": token.group(1),
            },
        )
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert csrf, page.text
        task = console.post(
            "/console/claim", data={"queue": "appeals"}, headers={"X-CSRF-Token": csrf.group(1)}
        )
    assert "/console/tasks/" in str(task.url), task.text
    # The oldest appeal comes first: acme's from the first test, or else this one of globex.
    shown = re.search(r"<title>Review (\S+) ", task.text)
    assert shown
    whose = "globex" if shown.group(1) == moderation else "acme"
    assert f"tenant <code>{whose}</code>" in task.text


def test_a_key_is_created_for_a_tenant_with_a_valid_name(tmp_path: Path) -> None:
    services = Services.build(load_settings(data_dir=tmp_path / "data"))
    try:
        _, key = services.auth.create_key("shop", ["moderations:read"], "acme-eu_1")
        assert key.to_public()["tenant"] == "acme-eu_1"
        assert services.auth.create_key("plain", ["moderations:read"])[1].tenant == "default"
        for bad in ("", "Acme", "-acme", "a" * 64, "acme/eu"):
            with pytest.raises(Exception, match="Invalid tenant"):
                services.auth.create_key("shop", ["moderations:read"], bad)
    finally:
        services.close()
