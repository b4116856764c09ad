"""A label trained by another process reaches this one's taxonomy within the refresh interval,
so a policy saved here may name it."""

from __future__ import annotations

import time
from typing import Any

from custom_label_corpus import abstract_art, photo_crops
from modgate.labels.service import CustomLabelService
from modgate.policy import policy_from_text
from modgate.taxonomy import register_custom_labels, taxonomy_v7

POLICY = "policy: p\ntaxonomy: 7\ndefault: {action: allow}\ncategories:\n  Sea View: {block: 70}\n"


def test_a_label_trained_elsewhere_is_known_after_a_refresh(services: Any) -> None:
    labels = services.labels
    label = labels.describe("default", "Sea View", "image", None, None)
    labels.train(label, photo_crops(("coffee",), 4, seed=1), abstract_art(4, seed=2), "cli:a@b")
    register_custom_labels([])  # as a process that started before the label was trained
    assert "Sea View" not in taxonomy_v7()
    watcher = CustomLabelService(labels.store, services.sessions, services.blobs)
    watcher.keep_taxonomy_fresh(0.05)
    try:
        deadline = time.monotonic() + 10
        while "Sea View" not in taxonomy_v7() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert policy_from_text(POLICY).name == "p"
    finally:
        watcher.close()
