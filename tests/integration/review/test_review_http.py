"""The review lane over real HTTP: the appeal API, queue figures, and the console's reveal log,
daily reveal cap, unblurred previews and ranged media."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from review_helpers import add_moderation
from sqlalchemy import select

from modgate.events import EventRow

sys.path.insert(0, str(Path(__file__).parents[2]))
from corpus import image_bytes, video_bytes  # noqa: E402

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from modgate.settings import load_settings

    return load_settings(data_dir=tmp_path / "data", review={"daily_reveal_cap": 1})


def sign_in(url: str, username: str) -> tuple[httpx.Client, str]:
    # Generous: the first request for a video task encodes its blurred proxy on a shared CPU.
    client = httpx.Client(base_url=url, follow_redirects=True, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").text)
    assert token
    page = client.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert csrf, page.text
    return client, csrf.group(1)


def test_appeal_api(live_server: Any, services: Any) -> None:
    auth = services.auth
    key, _ = auth.create_key("appeals", ["appeals:write"], actor="cli:tests@localhost")
    reader, _ = auth.create_key("reader", ["review:read"], actor="cli:tests@localhost")
    decided = add_moderation(services.sessions, review=False, final_action="block")
    pending = add_moderation(services.sessions, queue="nudity")
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=live_server.url, headers=headers) as client:
        created = client.post(
            f"/v1/moderations/{decided}/appeal",
            json={"statement": "This is a medical diagram.", "appellant": "user-9"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "open"
        assert created.json()["previous_action"] == "block"
        twice = client.post(f"/v1/moderations/{decided}/appeal", json={"statement": "again"})
        assert twice.status_code == 409
        assert twice.json()["error"]["code"] == "AlreadyAppealedException"
        early = client.post(f"/v1/moderations/{pending}/appeal", json={"statement": "x"})
        assert early.status_code == 409
        missing = client.post("/v1/moderations/mod_nope/appeal", json={"statement": "x"})
        assert missing.status_code == 404
        empty = client.post(f"/v1/moderations/{decided}/appeal", json={"statement": ""})
        assert empty.status_code == 400
        assert empty.json()["error"]["code"] == "InvalidParameterException"
        garbage = client.post(
            f"/v1/moderations/{decided}/appeal",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert garbage.status_code == 400
    queues = httpx.get(
        f"{live_server.url}/v1/review/queues", headers={"Authorization": f"Bearer {reader}"}
    ).json()["queues"]
    assert {q["queue"]: q["depth"] for q in queues} == {"appeals": 1, "nudity": 1}
    with services.sessions() as session:
        names = list(
            session.scalars(select(EventRow.name).where(EventRow.moderation_id == decided))
        )
    assert names.count("appeal.created") == 1


def test_reveals_are_logged_capped_and_required_for_clear_previews(
    live_server: Any, services: Any
) -> None:
    services.auth.add_user("ann", PASSWORD, "reviewer", ["*"], actor="cli:tests@localhost")
    first_media, _ = services.media.ingest_bytes(image_bytes("JPEG", seed=1))
    second_media, _ = services.media.ingest_bytes(video_bytes(seconds=1.0))
    first = add_moderation(services.sessions, media_id=first_media.id, priority="high")
    add_moderation(services.sessions, media_id=second_media.id, kind="video")
    client, csrf = sign_in(live_server.url, "ann")
    try:
        task = client.post("/console/claim", data={"csrf_token": csrf}).url.path.rsplit("/", 1)[1]
        blurred = client.get(f"/console/tasks/{task}/preview?blurred=true")
        assert blurred.status_code == 200 and blurred.headers["content-type"] == "image/jpeg"
        refused = client.get(f"/console/tasks/{task}/preview?blurred=false")
        assert refused.content == blurred.content  # no clear pixels before the reveal
        revealed = client.post(f"/console/tasks/{task}/reveal", headers={"X-CSRF-Token": csrf})
        assert revealed.json() == {"revealed_today": 1, "cap": 1}
        clear = client.get(f"/console/tasks/{task}/preview?blurred=false")
        assert clear.status_code == 200 and clear.content != blurred.content
        again = client.post(f"/console/tasks/{task}/reveal", headers={"X-CSRF-Token": csrf})
        assert again.status_code == 200  # the same item again does not count twice
        client.post(
            f"/console/tasks/{task}/verdict",
            data={"csrf_token": csrf, "action": "allow", "label_0": "wrong"},
        )
        video_task = client.post("/console/claim", data={"csrf_token": csrf}).url.path
        video_task = video_task.rsplit("/", 1)[1]
        capped = client.post(f"/console/tasks/{video_task}/reveal", headers={"X-CSRF-Token": csrf})
        assert capped.status_code == 403
        assert capped.json()["error"]["code"] == "RevealLimitReachedException"
        ranged = client.get(f"/console/tasks/{video_task}/media", headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206 and len(ranged.content) == 100
        assert ranged.headers["content-range"].startswith("bytes 0-99/")
        stats = client.get("/console/me").text
        assert re.search(r'id="reveals-today">1 of 1<', stats)
    finally:
        client.close()
    with services.sessions() as session:
        reveals = list(session.scalars(select(EventRow).where(EventRow.name == "preview.revealed")))
    assert len(reveals) == 2 and {e.moderation_id for e in reveals} == {first}
