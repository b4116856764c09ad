"""``modgate retention`` and ``modgate media erase`` as an operator runs them: real processes on
a real database; bad input exits 2 with the error's code, never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import select

from corpus import image_bytes
from modgate.audit import AuditEntryRow
from modgate.services import Services
from modgate.settings import load_settings
from servers import run_modgate


def test_retention_and_erase_commands(tmp_path: Path) -> None:
    env = dict(os.environ) | {"MODGATE_DATA_DIR": str(tmp_path / "data")}
    image = tmp_path / "photo.png"
    image.write_bytes(image_bytes("PNG", 64, 48, 3))
    added = run_modgate(["media", "add", str(image)], env)
    assert added.returncode == 0, added.stderr
    media = json.loads(added.stdout)

    bad = run_modgate(["retention", "set", "--tenant", "Not A Tenant", "--originals", "3"], env)
    assert bad.returncode == 2 and bad.stderr.startswith("InvalidParameterException:")
    assert "Traceback" not in bad.stderr
    done = run_modgate(["retention", "set", "--tenant", "default", "--originals", "30"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["originals_days"] == 30
    shown = run_modgate(["retention", "show"], env)
    assert json.loads(shown.stdout)["tenant"] == "default"
    ran = run_modgate(["retention", "run"], env)
    # Media never moderated has no final decision: nothing is due.
    assert json.loads(ran.stdout) == {"deleted": {"originals": 0, "previews": 0, "thumbnails": 0}}

    missing = run_modgate(["media", "erase", "med_missing"], env)
    assert missing.returncode == 2
    assert missing.stderr.startswith("ResourceNotFoundException:")
    erased = run_modgate(["media", "erase", media["id"]], env)
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["sha256"] == media["sha256"]

    settings = load_settings(data_dir=tmp_path / "data", detection={"enabled": ["marker"]})
    services = Services.build(settings, role="cli")
    try:
        record = services.media.store.get(media["id"])
        assert record is not None and record.originals_deleted
        assert not services.blobs.exists(record.blob_key)
        with services.sessions() as session:
            entries = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)).all()
        by_kind = {entry.kind: entry.actor for entry in entries}
        assert by_kind["media.erased"].startswith("cli:")
        assert by_kind["retention.changed"].startswith("cli:")
    finally:
        services.close()
