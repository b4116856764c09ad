"""Training jobs that cannot be trained end ``failed`` with a reason a user can act on, and
their end is audited: one taken up more than ``labels.max_attempts`` times (its holders kept
dying), and one started from local folders whose process died (nothing to train from)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import select

from modgate.audit.tables import AuditEntryRow
from modgate.detection.custom.store import CustomLabel
from modgate.services import Services
from modgate.settings import load_settings

ACTOR = "cli:tests@localhost"


def label(name: str) -> CustomLabel:
    return CustomLabel("", "acme", name, "image", None, "efficientnet_lite0", None)


def test_jobs_that_cannot_be_trained_fail_with_the_reason(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data", labels={"lease_seconds": 0.05, "max_attempts": 2}
    )
    services = Services.build(settings, role="cli")  # no training thread: the test claims
    try:
        labels = services.labels
        request = {"positive_media_ids": ["med_x"], "negative_media_ids": ["med_y"]}
        _, dying = labels.store.start_version(label("Dying"), "api", ACTOR, request=request)
        for holder in ("a", "b"):  # two holders die in turn
            claim = labels.jobs.claim(holder, 0.05)
            assert claim is not None and claim.version_id == dying.id
            time.sleep(0.1)
        third = labels.jobs.claim("c", 60)
        assert third is not None and third.attempt == 3
        labels.run_claim(third, "c")
        failed = labels.store.version("acme", dying.id)
        assert failed.status == "failed"
        assert failed.error == (
            "Training was interrupted 2 times (the process training it stopped); train again."
        )

        _, local = labels.store.start_version(
            label("Local"), "folders", ACTOR, holder="cli@gone:1:x", lease_seconds=0.05
        )
        time.sleep(0.1)
        claim = labels.jobs.claim("d", 60)
        assert claim is not None and claim.request is None
        labels.run_claim(claim, "d")
        lost = labels.store.version("acme", local.id)
        assert lost.status == "failed" and "local files that were not kept" in lost.error

        # Stored media that went missing before the job ran: failed, saying which.
        _, missing = labels.store.start_version(label("Missing"), "api", ACTOR, request=request)
        claim = labels.jobs.claim("e", 60)
        assert claim is not None
        labels.run_claim(claim, "e")
        gone = labels.store.version("acme", missing.id)
        assert gone.status == "failed" and "med_x" in gone.error
        assert labels.jobs.claim("f", 60) is None
        with services.sessions() as session:
            ends = session.scalars(
                select(AuditEntryRow.detail).where(AuditEntryRow.kind == "custom_label.trained")
            ).all()
        assert sorted(json.loads(end)["status"] for end in ends) == ["failed"] * 3
    finally:
        services.close()
