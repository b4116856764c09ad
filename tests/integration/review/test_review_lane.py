"""The review lane as the pipeline is handed it (``ReviewLane``): an item the policy sent to
review is queued with the lane's own settings, a retried item's open reviews are withdrawn, and
the state shown on the moderation follows. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from review_helpers import START, FakeClock, add_media, decision
from sqlalchemy import select

from modgate.db import make_engine, session_factory, upgrade
from modgate.moderation.store import SqlModerationStore
from modgate.moderation.tables import ModerationRow
from modgate.pipeline.review_lane import ReviewLane
from modgate.review.lane import SqlReviewLane
from modgate.review.settings import ReviewSettings
from modgate.review.tables import ReviewRow, ReviewTaskRow


def test_the_lane_opens_withdraws_and_reports_reviews(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    sessions = session_factory(engine)
    try:
        clock = FakeClock()
        lane: ReviewLane = SqlReviewLane(ReviewSettings(queue_sla_seconds={"nudity": 900}), clock)
        assert isinstance(lane, ReviewLane)
        with sessions() as session, session.begin():
            media_id = add_media(session)
            session.flush()
            session.add(
                ModerationRow(
                    id="mod_1",
                    media_id=media_id,
                    sha256="0" * 64,
                    kind="image",
                    status="completed",
                    context={},
                    labels=[],
                    action="review",
                    decision=decision("nudity"),
                )
            )
        item = "mod_1"
        with sessions() as session, session.begin():
            moderation = SqlModerationStore().get(session, item)
            assert moderation is not None
            assert lane.state(session, item) is None  # never went to review
            review_id = lane.open(session, moderation)
            assert lane.open(session, moderation) == review_id  # one open review per item
        with sessions() as session:
            review = session.get(ReviewRow, review_id)
            state = lane.state(session, item)
        assert review is not None and review.queue == "nudity"
        assert (review.due_at - review.created_at) == dt.timedelta(seconds=900)
        assert review.created_at == START
        assert state is not None and state["status"] == "queued" and state["queue"] == "nudity"
        with sessions() as session, session.begin():
            assert lane.withdraw(session, item, clock() + dt.timedelta(minutes=5)) == 1
            assert lane.withdraw(session, item, clock()) == 0
        with sessions() as session:
            state = lane.state(session, item)
            tasks = list(session.scalars(select(ReviewTaskRow.status)))
        assert state is not None and state["status"] == "withdrawn"
        assert tasks == ["cancelled"]  # nobody takes up a withdrawn item
    finally:
        engine.dispose()
