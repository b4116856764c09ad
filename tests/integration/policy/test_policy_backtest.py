"""Backtest numbers on a small seeded history, checked against hand-computed values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from modgate.db import make_engine, session_factory, transaction, upgrade
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationRow
from modgate.policy import evaluate, policy_from_text
from modgate.policy.backtest import iter_history, plot_sweep, run_backtest
from modgate.policy.cases import expand_labels

ACTIVE = policy_from_text(
    "policy: act\ncategories:\n  Explicit: {id: explicit, block: 90}\n"
    "  Violence: {id: violence, review: 70}\n"
)
CANDIDATE = policy_from_text(
    "policy: cand\ncategories:\n  Explicit: {id: explicit, block: 80}\n"
    "  Violence: {id: violence, block: 85, review: 60}\n"
)
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)

# (labels, verdict, stored by the active version?)
HISTORY: list[tuple[dict[str, float], dict[str, Any] | None, bool]] = [
    ({"Explicit": 95}, {"labels": {"Explicit": True}}, True),
    ({"Explicit": 85}, {"labels": {"Explicit": False}}, True),
    ({"Explicit": 82}, {"labels": {"Explicit": True}}, True),
    ({"Violence": 65}, None, True),
    ({"Violence": 90}, {"labels": {"Violence": True}}, False),
    ({"Violence": 75}, {"labels": {"Violence": False}}, True),
    ({"Gambling": 99}, {"labels": {}, "missed": ["Weapons"]}, True),
    ({}, None, True),
]


@pytest.fixture
def sessions(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'history.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    rows = [({"Explicit": 50}, None, True, START - dt.timedelta(days=1))]
    rows += [(*item, START + dt.timedelta(hours=n)) for n, item in enumerate(HISTORY)]
    with transaction(factory) as session:
        for number, (labels, verdict, stored, created) in enumerate(rows):
            detections = expand_labels(labels)
            decision = evaluate(ACTIVE, {"ModerationLabels": detections})
            session.add(
                MediaRow(
                    id=f"med_{number}",
                    sha256=f"{number:064d}",
                    kind="image",
                    format="JPEG",
                    mime="image/jpeg",
                    size_bytes=1,
                    blob_key="k",
                    created_at=created,
                )
            )
            session.add(
                ModerationRow(
                    id=f"mod_{number}",
                    media_id=f"med_{number}",
                    sha256=f"{number:064d}",
                    kind="image",
                    status="done",
                    surface="social",
                    context={"region": "DE"},
                    labels=detections,
                    action=decision.action if stored else "allow",
                    rule_id=decision.rule,
                    policy_version=ACTIVE.version if stored else "old",
                    verdict=verdict,
                    created_at=created,
                    updated_at=created,
                )
            )
    yield factory
    engine.dispose()


def test_backtest_matches_hand_computed_numbers(sessions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = run_backtest(CANDIDATE, iter_history(sessions, since=START), ACTIVE)
    data = report.to_dict()
    assert data["total"] == 8
    assert data["active"]["counts"] == {"allow": 5, "annotate": 0, "review": 2, "block": 1}
    assert data["candidate"]["counts"] == {"allow": 2, "annotate": 0, "review": 2, "block": 4}
    assert (data["active"]["auto_allowed"], data["candidate"]["auto_allowed"]) == (0.625, 0.25)
    assert (data["active"]["auto_blocked"], data["candidate"]["auto_blocked"]) == (0.125, 0.5)
    assert data["changed"] == 4
    assert {(c["from"], c["to"]): c["count"] for c in data["changes"]} == {
        ("allow", "block"): 2,
        ("allow", "review"): 1,
        ("review", "block"): 1,
    }
    assert {s["id"] for s in data["sample"]} == {"mod_2", "mod_3", "mod_4", "mod_5"}
    assert data["with_verdict"] == 6
    candidate = data["categories"]["candidate"]
    assert candidate["Explicit"] == {
        "blocked": 3,
        "reviewed": 0,
        "false_positives": 1,
        "false_negatives": 0,
        "truly_present": 2,
    }
    assert candidate["Violence"] == {
        "blocked": 1,
        "reviewed": 1,
        "false_positives": 0,
        "false_negatives": 1,
        "truly_present": 2,
    }
    active = data["categories"]["active"]
    assert active["Explicit"] == {
        "blocked": 1,
        "reviewed": 0,
        "false_positives": 0,
        "false_negatives": 1,
        "truly_present": 2,
    }
    assert active["Violence"] == {
        "blocked": 0,
        "reviewed": 2,
        "false_positives": 0,
        "false_negatives": 1,
        "truly_present": 2,
    }
    assert data["review_load"] == {"items": 2, "reviewer_tasks": 2, "queues": {"default": 2}}
    explicit = data["sweep"]["Explicit"]
    assert explicit["80"] == {"flagged": 3, "false_positives": 1, "false_negatives": 0}
    assert explicit["90"] == {"flagged": 1, "false_positives": 0, "false_negatives": 1}
    assert data["sweep"]["Violence"]["70"] == {
        "flagged": 2,
        "false_positives": 1,
        "false_negatives": 1,
    }
    plot = tmp_path / "sweep.png"
    plot_sweep(report, str(plot))
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_since_filter_and_stored_actions_without_an_active_policy(sessions) -> None:  # type: ignore[no-untyped-def]
    everything = run_backtest(CANDIDATE, iter_history(sessions))
    assert everything.total == 9
    assert everything.active_actions["allow"] == 7  # row 5 was stored as allow by another version
