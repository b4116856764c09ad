"""``modgate labels train`` on two folders of pictures (photographs vs abstract art), then the
``custom`` detector finds the label on pictures of scenes it was never shown, a policy acts on
it by name, and the model card reports cross-validated figures."""

from __future__ import annotations

import json
import os
from pathlib import Path

from custom_label_corpus import (
    HELD_OUT_SCENES,
    TRAINING_SCENES,
    abstract_art,
    photo_crops,
    write_folder,
)
from modgate.detection.custom.detector import CustomDetector
from modgate.detection.detectors.imagenet import ImageNetDetector
from modgate.detection.engine import DetectionEngine
from modgate.policy import evaluate, policy_from_text
from modgate.services import Services
from modgate.settings import load_settings
from servers import run_modgate

POLICY = """
policy: photos
taxonomy: 7
default: {action: allow}
categories:
  Photograph: {id: no-photos, block: 50}
"""


def test_a_label_trained_on_two_folders_is_found_on_held_out_pictures(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")} | {
        "MODGATE_DATA_DIR": str(tmp_path / "data"),
        "MODGATE_DETECTION__ENABLED": '["marker"]',
    }
    photos = write_folder(tmp_path / "photos", photo_crops(TRAINING_SCENES, 8, seed=1))
    art = write_folder(tmp_path / "art", abstract_art(40, seed=2))
    result = run_modgate(
        ["labels", "train", "Photograph", "--positive", str(photos), "--negative", str(art)],
        env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    trained = json.loads(result.stdout.splitlines()[-1])
    assert (trained["label"], trained["version"], trained["status"]) == ("Photograph", 1, "live")
    card = trained["model_card"]
    assert card["backbone"] == "efficientnet_lite0"
    assert card["cross_validation"]["positives"] == 40
    assert card["cross_validation"]["recall"] >= 0.8
    assert trained["project_version"].endswith(f"/version/1/{trained['id']}")

    settings = load_settings(data_dir=tmp_path / "data", detection={"enabled": ["marker"]})
    services = Services.build(settings, role="cli")
    engine = DetectionEngine(
        [ImageNetDetector(), CustomDetector()],
        threads=2,
        custom_labels=services.labels.store,
    )
    try:
        held_photos = photo_crops(HELD_OUT_SCENES, 5, seed=3)
        held_art = abstract_art(20, seed=4)
        right = 0
        for picture, truth in [(p, True) for p in held_photos] + [(a, False) for a in held_art]:
            detections = engine.detect(picture)
            found = {label.name: label.confidence for label in detections.labels}
            right += (found.get("Photograph", 0.0) >= 50) == truth
        accuracy = right / (len(held_photos) + len(held_art))
        print(
            f"held-out accuracy of 'Photograph': {accuracy:.3f} on {len(held_photos)} "
            f"photos of unseen scenes and {len(held_art)} unseen abstract pictures"
        )
        assert accuracy >= 0.85

        policy = policy_from_text(POLICY)
        decision = evaluate(policy, engine.detect(held_photos[0]))
        assert (decision.action, decision.rule) == ("block", "no-photos")
        assert evaluate(policy, engine.detect(held_art[0])).action == "allow"
    finally:
        engine.close()
        services.close()
