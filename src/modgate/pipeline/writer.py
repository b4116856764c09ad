"""The one place a decision is written: by a job's run, its failure, or its cancellation.

``DecisionWriter.write`` applies a ``DecisionWrite`` (the ruling, the detections it was made on,
and a failed job's error) to its moderation exactly once: the ``UPDATE`` only applies to a
moderation that is not yet completed, and it runs in the caller's transaction with the job's
success (or failure), the review tasks a review decision opens, the timeline's thumbnails and
the ``moderation.completed`` event. A worker that lost its lease and wakes up late finds the
moderation decided and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, update
from sqlalchemy.orm import Session

from modgate.db.base import table_of, utcnow
from modgate.events import MODERATION_COMPLETED, record_event
from modgate.pipeline.decide import Ruling
from modgate.pipeline.jobs import Claim, JobStore
from modgate.pipeline.labels import moderation_summary
from modgate.pipeline.tables import ModerationExtraRow, ModerationRow
from modgate.taxonomy.detections import Detections, Timeline
from modgate.taxonomy.rekognition_json import moderation_columns, thumbnails_json

logger = logging.getLogger(__name__)

# The decision's UPDATE, built once: its values are parameters, so its SQL is compiled once. It
# returns the decided row: the event's summary and the answer to a waiting request come from it.
_moderations = table_of(ModerationRow)
_DECIDE = (
    update(_moderations)
    .where(_moderations.c.id == bindparam("moderation_id"), _moderations.c.status != "completed")
    .returning(*_moderations.c)
)


@dataclass(frozen=True, slots=True)
class JobError:
    """Why a job failed for good (or was cancelled): a stable code and a message."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class DecisionWrite:
    """What one decision writes on its moderation: the ``ruling``, the ``detections`` it was
    made on (None when detection never ran), and, for a job that failed or was cancelled, its
    ``error`` (the moderation is then ``failed``, else ``completed``)."""

    ruling: Ruling
    detections: Detections | None = None
    error: JobError | None = None

    @property
    def status(self) -> str:
        return "completed" if self.error is None else "failed"


class DecisionWriter:
    def __init__(self, jobs: JobStore, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.jobs = jobs
        self.clock = clock

    def write(
        self,
        session: Session,
        claim: Claim,
        worker: str,
        write: DecisionWrite,
        settle_job: bool = True,
    ) -> Row[Any] | None:
        """Write the result once and return the decided row; None when another worker already
        did. ``settle_job``: mark the job done (or failed) too; a caller that settled it already
        says False.

        A moderation whose job failed for good may be decided later by a retried job; a
        completed one is never written again.
        """
        now = self.clock()
        ruling, detections = write.ruling, write.detections
        decision = ruling.to_dict()
        values: dict[str, Any] = dict(
            status=write.status,
            action=ruling.action,
            rule_id=ruling.rule,
            policy_version=ruling.policy_version,
            decision=decision,
            decided_at=now,
            updated_at=now,
            final_action=None if ruling.action == "review" else ruling.action,
            error=write.error.to_dict() if write.error is not None else None,
        )
        if detections is not None:
            labels, content_types = moderation_columns(detections)
            values.update(
                labels=labels, content_types=content_types, model_version=detections.model_version
            )
        decided = session.execute(
            _DECIDE, {"moderation_id": claim.moderation_id, **values}
        ).first()
        if decided is None:
            if settle_job:
                self.jobs.finish(session, claim.job_id, worker)
            return None
        if isinstance(detections, Timeline):
            extra = session.get(ModerationExtraRow, claim.moderation_id)
            if extra is not None:
                extra.thumbnails = thumbnails_json(detections)
        if ruling.action == "review":
            moderation = session.get(ModerationRow, claim.moderation_id)
            assert moderation is not None
            open_review(session, moderation)
        summary = moderation_summary(decided, decision)
        record_event(session, MODERATION_COMPLETED, claim.moderation_id, summary)
        if settle_job and write.error is not None:
            self.jobs.mark_failed(session, claim.job_id, write.error.message)
        elif settle_job:
            self.jobs.finish(session, claim.job_id, worker)
        return decided


def withdraw_reviews(session: Session, moderation_id: str, now: dt.datetime) -> None:
    """Withdraw the open reviews of an item about to be decided again (review lane installed)."""
    try:
        from modgate.review.service import withdraw_open_reviews
    except ImportError:
        return
    withdraw_open_reviews(session, moderation_id, now)


def open_review(session: Session, moderation: ModerationRow) -> None:
    """Create the review tasks the decision asks for (when the review lane is installed)."""
    try:
        from modgate.review.service import open_review as create_tasks
    except ImportError:
        logger.warning("review lane unavailable: moderation %s awaits review", moderation.id)
        return
    create_tasks(session, moderation)
