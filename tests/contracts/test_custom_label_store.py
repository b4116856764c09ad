"""Stored custom labels, on SQLite and PostgreSQL: versions number up per label, a version goes
live and retires the previous one, heads and examples come back from the blob store, the live
heads and their stamp follow, every change is audited, and another tenant's label or version is
not found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from contract_databases import Database
from sqlalchemy import select

from modgate.audit.tables import AuditEntryRow
from modgate.detection.custom.head import LinearHead
from modgate.detection.custom.store import (
    CustomLabel,
    Examples,
    SqlCustomLabelStore,
    unavailable_name,
)
from modgate.errors import CustomLabelNotFoundException, InvalidCustomLabelException
from modgate.media.blobstore import LocalBlobStore

ACTOR = "cli:tests@localhost"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SqlCustomLabelStore:
    database: Database = request.getfixturevalue(f"{request.param}_database")
    return SqlCustomLabelStore(database.sessions, LocalBlobStore(tmp_path / "blobs"))


def head(bias: float) -> LinearHead:
    return LinearHead(
        "image",
        "efficientnet_lite0",
        np.ones(4, dtype=np.float32),
        bias,
        card={"cross_validation": {"f1": 0.9, "folds": 5}},
    )


EXAMPLES = Examples(np.ones((4, 4), dtype=np.float32), np.zeros((5, 4), dtype=np.float32))
LABEL = CustomLabel("", "acme", "Landscape Photo", "image", "Weapons", "efficientnet_lite0", None)


def test_versions_go_live_in_turn_and_come_back(store: SqlCustomLabelStore) -> None:
    assert store.live_heads() == [] and store.known_labels() == []
    stamp = store.live_stamp()
    label, first = store.start_version(LABEL, "folders", ACTOR)
    assert (first.version, first.status, label.live_version) == (1, "training", None)
    assert store.known_labels() == [("Landscape Photo", "Weapons")]
    done = store.finish_version(first, head=head(0.5), examples=EXAMPLES, shadow={}, live=True)
    assert done.status == "live" and done.metrics["f1"] == 0.9
    assert store.live_stamp() != stamp
    [live] = store.live_heads()
    assert (live.label, live.parent, live.version, live.tenant) == (
        "Landscape Photo",
        "Weapons",
        1,
        "acme",
    )
    assert live.head.bias == 0.5
    kept = store.examples(done)
    assert kept.positives.shape == (4, 4) and kept.negatives.shape == (5, 4)

    label, second = store.start_version(label, "verdicts", ACTOR)
    assert second.version == 2
    store.finish_version(second, head=head(1.5), examples=EXAMPLES, shadow={"x": 1}, live=True)
    statuses = [(v.version, v.status) for v in store.versions("acme", "Landscape Photo")]
    assert statuses == [(1, "retired"), (2, "live")]
    assert store.label("acme", "Landscape Photo").live_version == 2
    assert store.live_heads()[0].head.bias == 1.5

    label, third = store.start_version(label, "verdicts", ACTOR)
    rejected = store.finish_version(third, head=head(9.0), examples=None, shadow={}, live=False)
    failed_label, fourth = store.start_version(label, "api", ACTOR)
    failed = store.finish_version(
        fourth, head=None, examples=None, shadow={}, live=False, error="too few"
    )
    assert (rejected.status, failed.status, failed.error) == ("rejected", "failed", "too few")
    assert store.label("acme", "Landscape Photo").live_version == 2

    with store.sessions() as session:
        kinds = session.scalars(
            select(AuditEntryRow.kind).where(AuditEntryRow.tenant == "acme")
        ).all()
    assert kinds.count("custom_label.training_started") == 4
    assert kinds.count("custom_label.trained") == 4


def test_another_tenants_label_is_not_found(store: SqlCustomLabelStore) -> None:
    _label, version = store.start_version(LABEL, "folders", ACTOR)
    with pytest.raises(CustomLabelNotFoundException):
        store.version("other", version.id)
    with pytest.raises(CustomLabelNotFoundException):
        store.label("other", "Landscape Photo")
    assert store.labels("other") == []
    assert [label.name for label in store.labels("acme")] == ["Landscape Photo"]
    # The refusal reads exactly as for a taxonomy v7 name: nothing tells "other" that "acme"
    # has such a label.
    with pytest.raises(InvalidCustomLabelException) as refused:
        store.start_version(
            CustomLabel("", "other", "Landscape Photo", "image", None, "x", None), "api", ACTOR
        )
    assert refused.value.message == unavailable_name("Landscape Photo")
    assert "acme" not in refused.value.message
    with pytest.raises(InvalidCustomLabelException, match="a new version keeps those"):
        store.start_version(
            CustomLabel("", "acme", "Landscape Photo", "text", None, "minilm", None), "api", ACTOR
        )
