"""Custom-label training jobs claimed under leases, on SQLite and PostgreSQL: a job no one
holds is claimed once, a held one is not claimed again until its lease runs out, each take
counts an attempt, the holder renews its lease, and a holder that lost the job cannot record an
outcome over the new holder's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from contract_databases import Database

from modgate.detection.custom.claims import TrainingJobs
from modgate.detection.custom.head import LinearHead
from modgate.detection.custom.store import CustomLabel, Examples, SqlCustomLabelStore
from modgate.media.blobstore import LocalBlobStore

ACTOR = "cli:tests@localhost"
LABEL = CustomLabel("", "acme", "Kitchen Knives", "image", None, "efficientnet_lite0", None)
REQUEST = {"positive_media_ids": ["med_a"], "negative_media_ids": ["med_b"]}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    found: Database = request.getfixturevalue(f"{request.param}_database")
    return found


def test_a_job_is_claimed_once_and_again_only_when_its_lease_ran_out(
    database: Database, tmp_path: Path
) -> None:
    clock = Clock()
    store = SqlCustomLabelStore(database.sessions, LocalBlobStore(tmp_path), clock)
    jobs = TrainingJobs(database.sessions, clock)
    assert jobs.claim("a", 60) is None
    _label, version = store.start_version(LABEL, "api", ACTOR, request=REQUEST)

    first = jobs.claim("a", 60)
    assert first is not None
    assert (first.version_id, first.tenant, first.attempt, first.request) == (
        version.id,
        "acme",
        1,
        REQUEST,
    )
    assert jobs.claim("b", 60) is None  # held

    clock.now += dt.timedelta(seconds=50)
    assert jobs.extend(version.id, "a", 60)  # renewed until 110 s
    clock.now += dt.timedelta(seconds=50)
    assert jobs.claim("b", 60) is None
    assert not jobs.extend(version.id, "b", 60)  # not b's

    clock.now += dt.timedelta(seconds=61)  # a died: its lease ran out
    second = jobs.claim("b", 60)
    assert second is not None and (second.version_id, second.attempt) == (version.id, 2)
    assert not jobs.extend(version.id, "a", 60)

    # a wakes up and tries to record its outcome: b holds the job, nothing changes.
    lost = store.finish_version(
        version, head=None, examples=None, shadow={}, live=False, error="late", worker="a"
    )
    assert (lost.status, lost.error) == ("training", "")
    head = LinearHead("image", "efficientnet_lite0", np.ones(4, dtype=np.float32), 0.0)
    examples = Examples(np.ones((4, 4), np.float32), np.zeros((4, 4), np.float32))
    done = store.finish_version(
        version, head=head, examples=examples, shadow={}, live=True, worker="b"
    )
    assert done.status == "live"
    clock.now += dt.timedelta(hours=1)
    assert jobs.claim("c", 60) is None  # finished jobs are never claimed
    assert not jobs.extend(version.id, "b", 60)


def test_a_job_started_by_its_holder_waits_for_the_lease(
    database: Database, tmp_path: Path
) -> None:
    clock = Clock()
    store = SqlCustomLabelStore(database.sessions, LocalBlobStore(tmp_path), clock)
    jobs = TrainingJobs(database.sessions, clock)
    _label, version = store.start_version(LABEL, "folders", ACTOR, holder="cli", lease_seconds=30)
    assert jobs.claim("server", 60) is None
    clock.now += dt.timedelta(seconds=31)
    claim = jobs.claim("server", 60)
    assert claim is not None
    assert (claim.version_id, claim.attempt, claim.request) == (version.id, 2, None)
