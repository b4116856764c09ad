"""Every process's index follows the banks in the database: a change made through one process
is matched by another within its refresh period, and a bank whose revision did not move is not
read again."""

from __future__ import annotations

import time
from pathlib import Path

from modgate.services import Services
from modgate.settings import load_settings

PDQ = "d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8"


def _matched(services: Services, bank: str) -> bool:
    return bank in services.banks.lookup_raw("default", "pdq", PDQ, bypass_coinflip=True)


def test_a_change_in_one_process_is_matched_by_another_within_the_refresh(
    tmp_path: Path, database_url: str
) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        detection={"enabled": ["marker"]},
        pipeline={"workers": 0},
        banks={"refresh_seconds": 0.5},
    )
    one = Services.build(settings, role="worker")
    other = Services.build(settings, role="worker", migrate=False)
    try:
        one.banks.create_bank("default", "SHARED")
        content = one.banks.add_raw("default", "SHARED", "pdq", PDQ)
        assert _matched(one, "SHARED")  # at once in the process that made the change

        deadline = time.monotonic() + 10
        while not _matched(other, "SHARED"):
            assert time.monotonic() < deadline, "the other process never saw the new content"
            time.sleep(0.1)

        # The checkpoint: an unchanged bank keeps its in-memory entries as they are.
        held = {e.state.id: e for e in other.banks.index.banks_of("default")}
        other.banks.index.refresh()
        again = {e.state.id: e for e in other.banks.index.banks_of("default")}
        assert all(again[key] is held[key] for key in held)
        assert all(again[key].pdq.segments is held[key].pdq.segments for key in held)

        one.banks.update_content("default", content.id, enabled=False)
        deadline = time.monotonic() + 10
        while _matched(other, "SHARED"):
            assert time.monotonic() < deadline, "the other process still matches it"
            time.sleep(0.1)
    finally:
        one.close()
        other.close()
