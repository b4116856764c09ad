"""A custom label is its tenant's: the pipeline finds it on that tenant's items, never on
another tenant's (not even through stored detections of the same bytes), and the moderation
records a model version that names the tenant's live heads."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from custom_label_corpus import abstract_art, jpeg, photo_crops
from modgate.detection.custom.detector import CustomDetector
from modgate.detection.detectors.imagenet import ImageNetDetector
from modgate.detection.engine import DetectionEngine
from modgate.services import Services
from modgate.settings import load_settings

ACTOR = "cli:tests@localhost"


def labels_of(moderation: dict[str, Any]) -> dict[str, float]:
    return {entry["Name"]: entry["Confidence"] for entry in moderation["labels"]}


def test_only_the_owning_tenant_sees_its_custom_label(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data", pipeline={"workers": 1, "poll_seconds": 0.1}
    )
    engine = DetectionEngine([ImageNetDetector(), CustomDetector()], threads=2)
    services = Services.build(settings, detection_engine=engine)
    try:
        engine.use_custom_labels(services.labels.store)
        labels = services.labels
        label = labels.describe("acme", "Photograph", "image", None, None)
        trained = labels.train(
            label,
            photo_crops(("astronaut", "coffee", "rocket"), 4, seed=21),
            abstract_art(12, seed=22),
            ACTOR,
        )
        assert trained.status == "live"
        engine.use_custom_labels(services.labels.store)  # as a worker's refresh would
        photo = jpeg(photo_crops(("chelsea",), 1, seed=23)[0])

        def moderate(tenant: str) -> dict[str, Any]:
            moderation, _created = services.moderations.submit(
                stream=io.BytesIO(photo), wait=True, tenant=tenant, actor=ACTOR
            )
            assert moderation["status"] == "completed", moderation
            return moderation

        theirs = moderate("other")
        mine = moderate("acme")
        again = moderate("other")
        assert labels_of(mine).get("Photograph", 0) >= 50
        assert "Photograph" not in labels_of(theirs)
        assert "Photograph" not in labels_of(again)
        assert "+custom." in mine["model_version"]
        assert "+custom." not in theirs["model_version"]
    finally:
        services.close()
        engine.close()
