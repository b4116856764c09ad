"""Record real answers of a real server as the examples of the OpenAPI document.

Runs modgate (SQLite in a temporary folder, the test marker detector, so a red frame is
flagged) over real HTTP, calls each operation once the way a client would, and writes what
came back to src/modgate/openapi/examples.json: {operationId: {status: body}}. Then regenerate
the document: ``modgate openapi -o docs/openapi.json``. Needs ``make install-test`` (the
marker detector plugin) and is run from the repository's root.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from corpus import image_bytes, video_bytes  # noqa: E402
from modgate.app import create_app  # noqa: E402
from modgate.auth.models import SCOPES  # noqa: E402
from modgate.services import Services  # noqa: E402
from modgate.settings import load_settings  # noqa: E402
from servers import LiveServer  # noqa: E402

OUTPUT = ROOT / "src" / "modgate" / "openapi" / "examples.json"
RED = (255, 0, 0)


def record(client: httpx.Client) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def keep(operation: str, answer: httpx.Response) -> Any:
        found.setdefault(operation, {})[str(answer.status_code)] = answer.json()
        return answer.json()

    png = base64.b64encode(image_bytes("PNG")).decode()
    image = keep(
        "createModeration",
        client.post(
            "/v1/moderations?wait=true",
            json={"media": {"base64": png}, "external_id": "post-1842", "context": {"age": 16}},
        ),
    )
    clip = video_bytes(colour_at=(0.5, 1.5, RED))
    video = keep(
        "createModeration", client.post("/v1/moderations", files={"file": ("c.mp4", clip)})
    )
    deadline = time.monotonic() + 60
    while client.get(f"/v1/moderations/{video['id']}").json()["status"] == "queued":
        if time.monotonic() > deadline:
            raise SystemExit("the video was not decided within 60 s")
        time.sleep(0.2)
    keep("getModeration", client.get(f"/v1/moderations/{video['id']}"))
    keep("listModerations", client.get("/v1/moderations", params={"limit": 1}))
    keep(
        "getModerationLabels",
        client.get(f"/v1/moderations/{video['id']}/labels", params={"aggregate_by": "SEGMENTS"}),
    )
    keep(
        "createAppeal",
        client.post(
            f"/v1/moderations/{image['id']}/appeal",
            json={"statement": "It is a painting in a museum.", "appellant": "user-77"},
        ),
    )
    viewer = {"audience": "12", "local_time": "21:30"}
    keep(
        "getViewerDecision",
        client.get(f"/v1/moderations/{image['id']}/decision", params=viewer),
    )
    page = [image["id"], video["id"], "mod_00000000000000000000000000000000"]
    keep(
        "decideForViewer",
        client.post(
            "/v1/decisions",
            json={"context": viewer, "items": [{"moderation_id": m} for m in page]},
        ),
    )
    keep(
        "getViewerDecision",
        client.get(f"/v1/moderations/{image['id']}/decision", params={"surface": "news"}),
    )
    keep("listReviewQueues", client.get("/v1/review/queues"))
    jpeg = ("photo.jpg", image_bytes("JPEG"))
    keep("uploadMedia", client.post("/v1/media", files={"file": jpeg}))
    media = keep("uploadMedia", client.post("/v1/media", files={"file": jpeg}))
    keep("getMedia", client.get(f"/v1/media/{media['id']}"))
    hook = keep(
        "createWebhook", client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hooks"})
    )
    keep("listWebhooks", client.get("/v1/webhooks"))
    keep("listWebhookDeliveries", client.get(f"/v1/webhooks/{hook['id']}/deliveries"))
    keep("getModeration", client.get("/v1/moderations/mod_00000000000000000000000000000000"))
    keep("createModeration", client.post("/v1/moderations", json={"media": {"base64": "aGVsbG8="}}))
    keep("getHealth", client.get("/healthz"))
    return found


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            data_dir=Path(folder),
            detection={"enabled": ["marker"]},
            pipeline={"workers": 1, "poll_seconds": 0.2},
            outbound_allow="127.0.0.1/32",
        )
        services = Services.build(settings)
        key, _ = services.auth.create_key("examples", SCOPES)
        try:
            with LiveServer(create_app(settings, services)) as live:
                headers = {"Authorization": f"Bearer {key}"}
                with httpx.Client(base_url=live.url, headers=headers, timeout=60) as client:
                    found = record(client)
        finally:
            services.close()
    OUTPUT.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{sum(len(v) for v in found.values())} answers of {len(found)} operations → {OUTPUT}")


if __name__ == "__main__":
    main()
