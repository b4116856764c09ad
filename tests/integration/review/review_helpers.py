"""Building moderations that the policy sent to review, on a real database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import new_id
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationRow
from modgate.review.lane import SqlReviewLane
from modgate.review.settings import ReviewSettings

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def decision(
    queue: str = "default",
    reviewers: int = 1,
    priority: str = "normal",
    matched: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    matched = (
        matched
        if matched is not None
        else [
            {"label": "Explicit Nudity", "confidence": 71.5, "action": "review", "rule": "nudity"},
            {"label": "Alcohol", "confidence": 55.0, "action": "annotate", "rule": "alcohol"},
        ]
    )
    return {
        "action": "review",
        "rule": "nudity",
        "policy": "seed",
        "policy_version": "a" * 64,
        "overlays": [],
        "matched": matched,
        "reasons": ["confidence in the review band"],
        "review": {"queue": queue, "priority": priority, "reviewers": reviewers},
        "trace": [],
    }


def add_media(
    session: Session,
    kind: str = "image",
    media_id: str | None = None,
    blob_key: str = "blobs/none",
    preview_key: str | None = None,
    blurred_key: str | None = None,
    sha256: str | None = None,
) -> str:
    media_id = media_id or new_id("med")
    session.add(
        MediaRow(
            id=media_id,
            sha256=sha256 or new_id("sha")[:64],
            kind=kind,
            format="JPEG" if kind == "image" else "MP4",
            mime="image/jpeg" if kind == "image" else "video/mp4",
            size_bytes=10,
            blob_key=blob_key,
            preview_key=preview_key,
            blurred_key=blurred_key,
        )
    )
    return media_id


def add_moderation(
    sessions: sessionmaker[Session],
    *,
    queue: str = "default",
    reviewers: int = 1,
    priority: str = "normal",
    settings: ReviewSettings | None = None,
    clock: Callable[[], dt.datetime] = lambda: START,
    media_id: str | None = None,
    kind: str = "image",
    labels: list[Any] | None = None,
    review: bool = True,
    final_action: str | None = None,
    matched: list[dict[str, Any]] | None = None,
) -> str:
    """A moderation whose decision says ``review``, queued by the review lane in the same
    transaction, as the pipeline does it."""
    with sessions() as session, session.begin():
        if media_id is None:
            media_id = add_media(session, kind=kind)
            session.flush()
        body = decision(queue, reviewers, priority, matched)
        if not review:
            body["action"], body["review"] = final_action or "block", None
        row = ModerationRow(
            id=new_id("mod"),
            media_id=media_id,
            sha256="0" * 64,
            kind=kind,
            status="completed",
            context={},
            labels=labels or [],
            action=body["action"],
            rule_id=body["rule"],
            policy_version=body["policy_version"],
            decision=body,
            final_action=None if review else body["action"],
        )
        session.add(row)
        session.flush()
        if review:
            SqlReviewLane(settings or ReviewSettings(), clock).open(session, row)
        return row.id
