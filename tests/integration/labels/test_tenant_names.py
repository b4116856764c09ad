"""Another tenant's custom label is indistinguishable from a missing one over the API: its job
is not found like an unknown id, its name is refused with the very words used for a taxonomy v7
name, naming it as a parent is refused like any unknown label (no did-you-mean pointing at it),
and retraining it from verdicts is not found like a label that never existed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from custom_label_corpus import abstract_art, jpeg, photo_crops
from modgate.app import create_app
from modgate.errors import UnknownLabelException
from modgate.services import Services
from modgate.settings import load_settings
from modgate.taxonomy import shipped_taxonomy_v7
from servers import LiveServer

ACTOR = "cli:tests@localhost"


def message(answer: httpx.Response) -> str:
    said: str = answer.json()["error"]["message"]
    return said


SCOPES = ["labels:manage", "labels:read", "media:write"]


def test_another_tenants_label_looks_missing(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", detection={"enabled": ["marker"]})
    services = Services.build(settings)
    try:
        labels = services.labels
        photos, art = photo_crops(("astronaut", "coffee"), 3, seed=31), abstract_art(6, seed=32)
        theirs = labels.train(
            labels.describe("acme", "Photograph", "image", None, None), photos, art, ACTOR
        )
        assert theirs.status == "live"
        key, _ = services.auth.create_key("b", SCOPES, "other", actor=ACTOR)
        mine_photos = [services.media.ingest_bytes(jpeg(p), tenant="other")[0].id for p in photos]
        mine_art = [services.media.ingest_bytes(jpeg(p), tenant="other")[0].id for p in art]
        with LiveServer(create_app(settings, services)) as live:
            client = httpx.Client(
                base_url=live.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
            )

            def train(**body: Any) -> httpx.Response:
                examples = {"positive_media_ids": mine_photos, "negative_media_ids": mine_art}
                return client.post("/v1/custom-labels", json=examples | body)

            job = client.get(f"/v1/custom-labels/{theirs.id}")
            missing = client.get("/v1/custom-labels/clv_00000000000000000000")
            assert job.status_code == missing.status_code == 404
            assert job.json() == missing.json()

            taken = train(name="Photograph")
            reserved = train(name="Explicit")
            assert taken.status_code == reserved.status_code == 400
            said = message(reserved)
            assert said.startswith("The name 'Explicit' is not available")
            assert message(taken) == said.replace("Explicit", "Photograph")
            assert taken.json()["error"]["code"] == reserved.json()["error"]["code"]
            assert "acme" not in taken.text

            parent = train(name="My Photo", parent="Photograph")
            assert parent.status_code == 400
            with pytest.raises(UnknownLabelException) as shipped:
                shipped_taxonomy_v7().get("Photograph")
            assert message(parent) == shipped.value.message  # no hint at acme's label
            retrain = train(name="Photograph", source="verdicts")
            never = train(name="Photographs", source="verdicts")
            assert retrain.status_code == never.status_code == 404
            assert message(retrain) == message(never).replace("Photographs", "Photograph")
            client.close()
        # Nothing of the other tenant's was created or changed by those refusals.
        assert [v.status for v in labels.store.versions("acme", "Photograph")] == ["live"]
        assert labels.store.labels("other") == []
    finally:
        services.close()
