"""The one place a decision is written: by a job's run, its failure, or its cancellation.

``DecisionWriter.write`` applies a ``DecisionWrite`` (the ruling, the detections it was made on,
and a failed job's error) to its moderation exactly once: the ``UPDATE`` only applies to a
moderation that is not yet completed, and it runs in the caller's transaction with the job's
success (or failure), the review tasks a review decision opens, the timeline's thumbnails and
the ``moderation.completed`` event, the categories the decision saw and flagged, and (for an
automatic decision) maybe its draw for a blind quality check. A worker that lost its lease
and wakes up late finds the moderation decided and changes nothing.

The writer is handed what it writes to: the ``ModerationStore`` (whose ``decide`` writes the
decision at most once) and the ``ReviewLane`` (which opens the review a ``review`` decision asks
for), both by the composition root.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from modgate.db.base import table_of, utcnow
from modgate.events import JobNotified, ModerationCompleted, record
from modgate.moderation.models import StoredModeration
from modgate.moderation.public import moderation_summary
from modgate.moderation.store import ModerationStore
from modgate.moderation.tables import ModerationExtraRow
from modgate.pipeline.decide import Ruling
from modgate.pipeline.jobs import Claim, JobStore
from modgate.pipeline.review_lane import ReviewLane
from modgate.quality import category_flags
from modgate.quality.record import record_categories
from modgate.taxonomy.comprehend_json import findings_list_to_json
from modgate.taxonomy.detections import Detections, Timeline
from modgate.taxonomy.rekognition_json import (
    bank_match_to_json,
    job_notification,
    moderation_columns,
    thumbnails_json,
)
from modgate.telemetry import after_commit, instruments


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
    # The surface whose activated policy decided (a metrics label; None: modgate ruled itself).
    policy_surface: str | None = None

    @property
    def status(self) -> str:
        return "completed" if self.error is None else "failed"


class DecisionWriter:
    """Writes decisions through ``moderations``, opening reviews in ``review_lane``, settling
    jobs in ``jobs``; ``clock`` stamps them."""

    def __init__(
        self,
        jobs: JobStore,
        moderations: ModerationStore,
        review_lane: ReviewLane,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.jobs = jobs
        self.moderations = moderations
        self.review_lane = review_lane
        self.clock = clock

    def write(
        self,
        session: Session,
        claim: Claim,
        worker: str,
        write: DecisionWrite,
        settle_job: bool = True,
    ) -> StoredModeration | None:
        """Write the result once and return the decided row; None when another worker already
        did. ``settle_job``: mark the job done (or failed) too; a caller that settled it already
        says False.

        A moderation whose job failed for good may be decided later by a retried job; a
        completed one is never written again.
        """
        now = self.clock()
        ruling, detections = write.ruling, write.detections
        decision = ruling.to_dict()
        if detections is not None and detections.bank_matches:
            decision["bank_matches"] = [bank_match_to_json(m) for m in detections.bank_matches]
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
        decided = self.moderations.decide(session, claim.moderation_id, values)
        if decided is None:
            if settle_job:
                self.jobs.finish(session, claim.job_id, worker)
            return None
        client_metadata = _write_extras(session, decided, detections)
        flags = category_flags(detections.peak_labels(), decision) if detections else []
        record_categories(session, decided, flags)
        if ruling.action == "review":
            self.review_lane.open(session, decided)
        elif write.error is None:
            self.review_lane.sample(session, decided, flags)
        surface = write.policy_surface or "none"
        waited = max((now - decided.created_at).total_seconds(), 0.0)

        def _count() -> None:
            meters = instruments()
            meters.moderations.labels(ruling.action, surface).inc()
            meters.decision_seconds.observe(waited)

        after_commit(session, _count)
        summary = moderation_summary(decided, decision)
        completed = ModerationCompleted(moderation_id=claim.moderation_id, moderation=summary)
        record(session, completed, tenant=decided.tenant)
        message = job_notification(decided, client_metadata)
        if message is not None:
            notified = JobNotified(moderation_id=claim.moderation_id, message=message)
            record(session, notified, tenant=decided.tenant)
        if settle_job and write.error is not None:
            self.jobs.mark_failed(session, claim.job_id, write.error.message)
        elif settle_job:
            self.jobs.finish(session, claim.job_id, worker)
        return decided


_SET_FINDINGS = (
    update(table_of(ModerationExtraRow))
    .where(table_of(ModerationExtraRow).c.moderation_id == bindparam("extra_id"))
    .values(text_findings=bindparam("findings"))
    .returning(table_of(ModerationExtraRow).c.client_metadata)
)


def _write_extras(
    session: Session, decided: StoredModeration, detections: Detections | None
) -> dict[str, Any] | None:
    """Timelines keep their thumbnails in the moderation's extras, text findings theirs; the
    client's metadata, read there when a job may have asked to be notified (a video, or
    metadata read anyway), else None."""
    findings = detections.findings if detections is not None else ()
    if isinstance(detections, Timeline) or decided.kind == "video":
        extra = session.get(ModerationExtraRow, decided.id)
        if extra is None:
            return None
        if isinstance(detections, Timeline):
            extra.thumbnails = thumbnails_json(detections)
        if findings:
            extra.text_findings = findings_list_to_json(findings)
        return extra.client_metadata
    if findings:  # one statement: set the findings, read the metadata back
        values = {"extra_id": decided.id, "findings": findings_list_to_json(findings)}
        metadata = session.execute(_SET_FINDINGS, values).scalar_one_or_none()
        return dict(metadata) if metadata is not None else None
    return None
