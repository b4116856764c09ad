"""Backtest numbers on a small seeded history, checked against hand-computed values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from modgate.db import make_engine, session_factory, transaction, upgrade
from modgate.detection.tables import DetectionRow
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationRow
from modgate.policy import evaluate, policy_from_text
from modgate.policy.backtest import run_backtest
from modgate.policy.backtest_plot import plot_sweep
from modgate.policy.cases import expand_labels
from modgate.policy.history import iter_history
from modgate.taxonomy.detections import ImageDetections
from modgate.taxonomy.rekognition_json import label_to_json

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
            expanded = expand_labels(labels)
            decision = evaluate(ACTIVE, ImageDetections(expanded))
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
                    labels=[label_to_json(label) for label in expanded],
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


def entries(label: str, confidence: float, starts: list[int], step: int = 1000) -> list[Any]:
    """Stored timeline entries (as the pipeline stores a video's or an animation's labels):
    ``label`` with its ancestors in each sample starting at ``starts``."""
    return [
        {
            "Timestamp": start,
            "ModerationLabel": label_to_json(item),
            "StartTimestampMillis": start,
            "EndTimestampMillis": start + step,
            "DurationMillis": step,
            "ContentTypes": [],
        }
        for start in starts
        for item in expand_labels({label: confidence})
    ]


def add_moderation(session: Any, number: int, kind: str, labels: list[Any], **extra: Any) -> None:
    created = START + dt.timedelta(minutes=number)
    session.add(
        MediaRow(
            id=f"med_{number}",
            sha256=f"{number:064d}",
            kind=kind,
            format="MP4",
            mime="video/mp4",
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
            kind=kind,
            status="completed",
            surface="social",
            context={},
            labels=labels,
            action="allow",
            rule_id="default",
            policy_version="old",
            created_at=created,
            updated_at=created,
            **extra,
        )
    )


@pytest.fixture
def media_history(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A flagged video, a flagged animation (stored with kind image, as timeline entries), a
    clean video, and an image whose stored detections hold text."""
    url = f"sqlite:///{tmp_path / 'media.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    with transaction(factory) as session:
        add_moderation(session, 1, "video", entries("Explicit Nudity", 95, [0, 1000, 2000]))
        add_moderation(session, 2, "image", entries("Graphic Violence", 88, [0, 500], step=500))
        add_moderation(session, 3, "video", [])
        add_moderation(session, 4, "image", [], content_types=[], model_version="m1")
        session.add(
            DetectionRow(
                sha256=f"{4:064d}",
                model_version="m1",
                created_at=START,
                result={
                    "kind": "image",
                    "ModerationModelVersion": "m1",
                    "ModerationLabels": [],
                    "ContentTypes": [],
                    "TextDetections": [
                        {"DetectedText": "buy now 555-1234", "Type": "LINE", "Confidence": 97}
                    ],
                },
            )
        )
    yield factory
    engine.dispose()


MEDIA_CANDIDATE = policy_from_text(
    "policy: media\ncategories:\n  Explicit: {id: explicit, block: 90}\n"
    "  Violence: {id: violence, review: 80}\n"
    "video:\n  - {id: long-gore, label: Graphic Violence, min_confidence: 80,"
    " min_duration: 2s, action: block}\n"
    "text:\n  - {id: phone, action: review, patterns: ['\\d{3}-\\d{4}']}\n"
)


def test_backtest_replays_videos_and_animations_like_images(media_history) -> None:  # type: ignore[no-untyped-def]
    report = run_backtest(MEDIA_CANDIDATE, iter_history(media_history))
    data = report.to_dict()
    assert data["total"] == 4
    changed = {s["id"]: (s["to"], s["candidate_rule"]) for s in data["sample"]}
    # The video's Explicit Nudity peaks at 95; the animation's violence lasts 1 s, short of the
    # video rule's 2 s, so its band rule reviews it; the clean video stays allowed.
    assert changed == {"mod_1": ("block", "explicit"), "mod_2": ("review", "violence")}
    assert data["sweep"]["Explicit"]["90"]["flagged"] == 1
    assert data["sweep"]["Violence"]["85"]["flagged"] == 1


def test_text_rules_replay_the_stored_text(media_history) -> None:  # type: ignore[no-untyped-def]
    without = run_backtest(MEDIA_CANDIDATE, iter_history(media_history))
    assert without.candidate_actions["review"] == 1
    report = run_backtest(MEDIA_CANDIDATE, iter_history(media_history, with_text=True))
    changed = {s["id"]: (s["to"], s["candidate_rule"]) for s in report.sample}
    assert changed["mod_4"] == ("review", "phone")
