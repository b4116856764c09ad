"""Texts decided within their ``wait=true`` request (``modgate.pipeline.in_request``): written
with their decision in one transaction, shared by concurrent requests on SQLite, leaving the
records any job leaves; a text whose detection fails is still accepted, recorded and sent to
review. On SQLite and PostgreSQL, through the moderation service of a real deployment."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from modgate.events.tables import EventRow
from modgate.pipeline.tables import JobRow
from modgate.settings import load_settings

ACTOR = "cli:tests@localhost"


@pytest.fixture
def services(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    from modgate.services import Services

    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2, "retry_backoff_seconds": 0.05},
        auth={"api_keys_required": False},
    )
    built = Services.build(settings)
    built.pipeline.start(dispatch_webhooks=False)
    yield built
    built.close()


def submit(services: Any, text: str) -> dict[str, Any]:
    moderation, created = services.moderations.submit(text=text, wait=True, actor=ACTOR)
    assert created
    return moderation  # type: ignore[no-any-return]


def records_of(services: Any, moderation_ids: list[str]) -> tuple[list[Any], Counter[str]]:
    with services.sessions() as session:
        jobs = list(session.scalars(select(JobRow).where(JobRow.moderation_id.in_(moderation_ids))))
        names = Counter(
            session.scalars(select(EventRow.name).where(EventRow.moderation_id.in_(moderation_ids)))
        )
    return jobs, names


def test_concurrent_texts_are_each_decided_with_the_records_of_a_job(services) -> None:  # type: ignore[no-untyped-def]
    texts = [
        f"comment number {n}, you idiot" if n % 3 == 0 else f"nice clip {n}" for n in range(24)
    ]
    with ThreadPoolExecutor(8) as pool:
        decided = list(pool.map(lambda text: submit(services, text), texts))
    assert all(m["status"] == "completed" for m in decided)
    assert Counter(m["action"] for m in decided) == {"allow": 16, "review": 8}
    for moderation, text in zip(decided, texts, strict=True):
        assert moderation["text_findings"][0]["Text"] == text
        assert services.moderations.get(moderation["id"]) == moderation  # as committed
        if moderation["action"] == "review":
            assert moderation["review"]["status"] == "queued"
    ids = [m["id"] for m in decided]
    jobs, events = records_of(services, ids)
    assert sorted(job.moderation_id for job in jobs) == sorted(ids)
    assert {(job.status, job.attempts) for job in jobs} == {("succeeded", 1)}
    assert events["moderation.created"] == 24 and events["moderation.completed"] == 24
    assert events["review.created"] == 8
    assert services.audit.verify().intact  # every entry chained, in commit order


def test_a_text_whose_detection_fails_is_recorded_and_sent_to_review(  # type: ignore[no-untyped-def]
    services, monkeypatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("detector crashed")

    monkeypatch.setattr(services.pipeline.processor.stage, "detect", broken)
    failed = submit(services, "a comment the detectors choke on")
    assert failed["status"] == "failed" and failed["action"] == "review"
    assert failed["rule"] == "modgate.processing-failed"
    assert "detector crashed" in failed["error"]["message"]
    jobs, events = records_of(services, [failed["id"]])
    assert [(job.status, job.attempts) for job in jobs] == [("failed", 3)]
    assert events["moderation.created"] == 1 and events["moderation.completed"] == 1
    monkeypatch.undo()  # the detectors work again: the next text is decided at once
    assert submit(services, "fine again")["status"] == "completed"
