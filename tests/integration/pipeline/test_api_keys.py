"""The moderation API with API keys required (the default): scopes, and webhooks per tenant."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from modgate.app import create_app
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import Receiver, marker_png, plain_png, wait_for
from servers import LiveServer


def test_keys_scopes_and_per_tenant_webhooks(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.1},
        outbound_allow="127.0.0.1/32",  # the receiver below
    )
    assert settings.auth.api_keys_required
    services = Services.build(settings)
    auth = services.auth
    shop, _ = auth.create_key(
        "shop",
        ["moderations:write", "moderations:read", "webhooks:manage"],
        "shop",
        actor="cli:tests@localhost",
    )
    forum, _ = auth.create_key(
        "forum", ["moderations:write", "webhooks:manage"], "forum", actor="cli:tests@localhost"
    )
    reader, _ = auth.create_key(
        "dashboard", ["moderations:read"], "shop", actor="cli:tests@localhost"
    )
    try:
        with LiveServer(create_app(settings, services)) as server, Receiver() as shop_hook:
            url = f"{server.url}/v1/moderations"
            anonymous = httpx.post(url, files={"file": ("x.png", plain_png())})
            assert anonymous.status_code == 401
            assert anonymous.json()["error"]["code"] == "AuthenticationRequiredException"
            denied = httpx.post(
                url,
                files={"file": ("x.png", plain_png())},
                headers={"Authorization": f"Bearer {reader}"},
            )
            assert denied.status_code == 403
            bad = httpx.get(url, headers={"Authorization": "Bearer mgk_not_a_key"})
            assert bad.status_code == 401
            httpx.post(
                f"{server.url}/v1/webhooks",
                json={"url": shop_hook.url},
                headers={"Authorization": f"Bearer {shop}"},
            ).raise_for_status()
            mine = httpx.post(
                url,
                params={"wait": "true"},
                files={"file": ("x.png", marker_png(1))},
                headers={"Authorization": f"Bearer {shop}"},
                timeout=60,
            ).json()
            httpx.post(
                url,
                params={"wait": "true"},
                files={"file": ("y.png", plain_png(2))},
                headers={"X-API-Key": forum},
                timeout=60,
            ).raise_for_status()
            assert mine["action"] == "block"
            read = httpx.get(f"{url}/{mine['id']}", headers={"Authorization": f"Bearer {reader}"})
            assert read.status_code == 200 and read.json()["action"] == "block"
            wait_for(lambda: shop_hook.requests, timeout=30)
            time.sleep(1.0)  # both events have been fanned out by now (poll every 0.1 s)
            ids = {event["data"]["moderation_id"] for event in shop_hook.events()}
            assert ids == {mine["id"]}  # the forum's moderation is not the shop's business
            forum_list = httpx.get(
                f"{server.url}/v1/webhooks", headers={"Authorization": f"Bearer {forum}"}
            ).json()
            assert forum_list["items"] == []  # endpoints are per tenant
    finally:
        services.close()
