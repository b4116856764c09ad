"""The job task: detect (or reuse stored detections), decide with the active policy, record.

``ModerationProcessor.run(claim)`` is the one task function, run the same way by the embedded
executor and by Celery workers. It strings the stages together: ``detect.py`` (typed detections
of the item), ``decide.py`` (a pure ruling from the policy, or modgate's own), ``writer.py``
(the decision, written exactly once, in the same transaction as the job's success, the review
tasks and the ``moderation.completed`` event). Here live the orchestration, the retries with
backoff, and the operator's cancel and retry.

``run`` returns what it committed (``Outcome``), so a request that ran its own job answers from
it without reading the moderation back.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import table_of, transaction, utcnow
from modgate.detection.store import DetectionStore
from modgate.detection.tables import DetectionRow
from modgate.errors import ConflictException, ModgateError
from modgate.events import JobCancelled, JobRetried, record
from modgate.media.blobstore import BlobStore
from modgate.media.proxy import ensure_blurred_proxy
from modgate.media.service import MediaService
from modgate.media.store import MediaRecord, record_from_row
from modgate.media.tables import MediaRow
from modgate.moderation.store import ModerationStore
from modgate.moderation.tables import ModerationRow
from modgate.pipeline.bank_stage import BankStage
from modgate.pipeline.decide import decide, processing_cancelled, processing_failed
from modgate.pipeline.detect import Detected, DetectStage, MediaDetector
from modgate.pipeline.executor import Decided
from modgate.pipeline.job_guards import CpuBudget, Heartbeat, LeaseLost
from modgate.pipeline.jobs import Claim, JobStore
from modgate.pipeline.outcomes import Fresh, Judged, Outcome
from modgate.pipeline.policies import PolicyResolver
from modgate.pipeline.review_lane import ReviewLane
from modgate.pipeline.settings import PipelineSettings
from modgate.pipeline.writer import DecisionWrite, DecisionWriter, JobError
from modgate.policy import Context
from modgate.taxonomy.comprehend_json import findings_list_to_json
from modgate.taxonomy.detections import Timeline
from modgate.taxonomy.rekognition_json import thumbnails_json

logger = logging.getLogger(__name__)

_moderations = table_of(ModerationRow)
_media = table_of(MediaRow)
_detections = table_of(DetectionRow)
_earlier = _moderations.alias("earlier")
# Stored detections (kept once per bytes and detector set) are reused only for bytes the
# moderation's tenant had detected before: reusing another tenant's would make a tenant's first
# moderation of those bytes measurably faster, telling it that someone else sent them.
_TENANT_DETECTED_BEFORE = exists().where(
    _earlier.c.tenant == _moderations.c.tenant,
    _earlier.c.sha256 == _media.c.sha256,
    _earlier.c.model_version == bindparam("model_version"),
    _earlier.c.id != _moderations.c.id,
)
# What a job reads: the moderation's state and context, its media, stored detections if any.
_READ = (
    select(
        _moderations.c.status.label("job_status"),
        _moderations.c.media_id.label("job_media_id"),
        _moderations.c.context.label("job_context"),
        _moderations.c.surface.label("job_surface"),
        _moderations.c.created_at.label("job_created_at"),
        _detections.c.result.label("job_detections"),
        *_media.c,
    )
    .select_from(_moderations)
    .outerjoin(_media, _media.c.id == _moderations.c.media_id)
    .outerjoin(
        _detections,
        (_detections.c.sha256 == _media.c.sha256)
        & (_detections.c.model_version == bindparam("model_version"))
        & _TENANT_DETECTED_BEFORE,
    )
    .where(_moderations.c.id == bindparam("moderation_id"))
)


@dataclass(frozen=True, slots=True)
class _Job:
    """What a run knows of its moderation before deciding it."""

    record: MediaRecord
    context: dict[str, Any]
    surface: str | None
    created_at: dt.datetime


class ModerationProcessor:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        media: MediaService,
        blobs: BlobStore,
        engine_factory: Callable[[], MediaDetector],
        policies: PolicyResolver,
        detections: DetectionStore,
        jobs: JobStore,
        settings: PipelineSettings,
        *,
        moderations: ModerationStore,
        review_lane: ReviewLane,
        clock: Callable[[], dt.datetime] = utcnow,
        decided: Decided | None = None,
        banks: BankStage | None = None,
    ) -> None:
        self.sessions = sessions
        self.media = media
        self.engine_factory = engine_factory
        self.policies = policies
        self.detections = detections
        self.decided = decided or Decided()
        self.jobs = jobs
        self.settings = settings
        self.clock = clock
        self.review_lane = review_lane
        self.stage = DetectStage(media, blobs, settings)
        self.banks = banks or BankStage(None)
        self.writer = DecisionWriter(jobs, moderations, review_lane, clock)

    # ---- the task -------------------------------------------------------------------------
    def run(self, claim: Claim, worker: str, known: Fresh | None = None) -> Outcome | None:
        """Run the job once; what this run decided, or None (retry queued, failed for good,
        or decided before by another run). ``known``: see ``Fresh``."""
        settled = False
        outcome = None
        try:
            if claim.attempt > claim.max_attempts:
                # Every earlier try was claimed and never finished: its worker died (a crash,
                # the OOM killer) or it ran past the job timeout. Do not try it yet again.
                message = (
                    f"started {claim.attempt - 1} times and never finished: its worker died or "
                    f"it ran past the job timeout ({self.settings.job_timeout_seconds:g} s)"
                )
                logger.error("job %s given up: %s", claim.job_id, message)
                settled = self._fail(claim, worker, "JobAbandoned", message)
            else:
                outcome = self._run(claim, worker, known)
                settled = True
        except LeaseLost as exc:  # the worker that took the job over records it
            logger.warning("%s; stopping this run", exc)
        except Exception as exc:  # every failure is recorded on the job; none escapes silently
            settled = self._failed_try(claim, worker, exc)
        finally:
            self.decided.notify(claim.moderation_id if settled else None, outcome)
        return outcome

    def _run(self, claim: Claim, worker: str, known: Fresh | None) -> Outcome | None:
        """Detect, decide, record; what this run decided (None: decided before)."""
        engine = self.engine_factory()
        if known is not None and claim.attempt == 1:
            context = dict(known.context)
            job = _Job(known.record, context, context.get("surface"), known.created_at)
            budget = CpuBudget(self.settings.job_cpu_seconds)
            surface_engine = engine.for_surface(job.surface, job.record.tenant)
            return self._matched_and_detected(
                claim,
                worker,
                job,
                lambda: self.stage.detect(surface_engine, known.record, budget, context),
                surface_engine,
            )
        with self.sessions() as session:  # everything the task reads, in one statement
            found = session.execute(
                _READ, {"moderation_id": claim.moderation_id, "model_version": engine.model_version}
            ).first()
        if found is None:
            raise ModgateError(f"moderation {claim.moderation_id} is missing")
        if found.job_status == "completed":
            with transaction(self.sessions) as tx:
                self.jobs.finish(tx, claim.job_id, worker)
            return None
        if found.id is None:
            raise ModgateError(f"media {found.job_media_id} is missing")
        record = record_from_row(found)
        job = _Job(record, dict(found.job_context or {}), found.job_surface, found.job_created_at)
        surface_engine = engine.for_surface(job.surface, record.tenant)
        # Stored detections are looked up under the engine's own version; a surface whose
        # cascade rule differs, or a tenant with custom labels, has detections of its own and
        # reuses none of them.
        reused: Detected | None = (
            self.stage.reuse(found.job_detections)
            if surface_engine.model_version == engine.model_version
            else None
        )

        def detect() -> Detected:
            if reused is not None:
                return reused
            heartbeat = Heartbeat(
                self.jobs,
                claim,
                worker,
                self.settings.job_timeout_seconds,
                CpuBudget(self.settings.job_cpu_seconds),
            )
            return self.stage.detect(surface_engine, record, heartbeat, job.context)

        return self._matched_and_detected(claim, worker, job, detect, surface_engine)

    def _matched_and_detected(
        self,
        claim: Claim,
        worker: str,
        job: _Job,
        detect: Callable[[], Detected],
        engine: MediaDetector,
    ) -> Outcome | None:
        judged = self._judge(claim.moderation_id, job, detect, engine)
        with transaction(self.sessions) as session:
            outcome = self.write_judged(session, claim, worker, judged)
        self._after_commit(judged, outcome)
        return outcome

    def _judge(
        self, moderation_id: str, job: _Job, detect: Callable[[], Detected], engine: MediaDetector
    ) -> Judged:
        """Bank matches, then detections unless a match decides alone (``bank_stage``); then
        the ruling."""
        matches = self.banks.match(job.record, moderation_id)
        if matches:
            policy = self.policies.for_surface(job.surface)[0]
            context = Context.from_dict(job.context, now=job.created_at)
            alone = self.banks.decides_alone(policy, matches, context, job.record.info)
            if alone is not None:
                return self._rule(moderation_id, job, Detected(alone, fresh=False), engine)
        detected = self.stage.with_matches(detect(), matches)
        return self._rule(moderation_id, job, detected, engine)

    def judge(self, moderation_id: str, known: Fresh) -> Judged:
        """Detect and rule on an item whose moderation is not written yet (a text decided
        within its request); nothing is written. ``write_judged`` writes it."""
        engine = self.engine_factory()
        context = dict(known.context)
        job = _Job(known.record, context, context.get("surface"), known.created_at)
        budget = CpuBudget(self.settings.job_cpu_seconds)
        surface_engine = engine.for_surface(job.surface)

        def detect() -> Detected:
            return self.stage.detect(surface_engine, known.record, budget, context)

        return self._judge(moderation_id, job, detect, surface_engine)

    # ---- the decision ---------------------------------------------------------------------
    def _rule(
        self, moderation_id: str, job: _Job, detected: Detected, engine: MediaDetector
    ) -> Judged:
        detected = self.stage.with_caption(engine, detected, job.context)
        policy, shadows = self.policies.for_surface(job.surface)
        ruling = decide(
            policy,
            shadows,
            detected.decided_on,
            Context.from_dict(job.context, now=job.created_at),
            surface=job.surface,
            moderation_id=moderation_id,
            clock=self.clock,
        )
        review = ruling.action == "review"
        if review and job.record.info.kind != "text":  # a text is shown as text
            self._previews(job.record, detected)  # made before reviewers can see the task
        surface = self.policies.deciding_surface(job.surface) if ruling.decision else None
        return Judged(job.record, detected, ruling, surface)

    def write_judged(
        self, session: Session, claim: Claim, worker: str, judged: Judged
    ) -> Outcome | None:
        """Store fresh detections and write the decision in the caller's transaction; what was
        decided (None: decided before). Once committed, call ``_after_commit``."""
        detected, ruling = judged.detected, judged.ruling
        detections = detected.decided_on
        if detected.fresh:
            self.detections.add(session, judged.record.info.sha256, detected.detections)
        write = DecisionWrite(ruling, detections, policy_surface=judged.policy_surface)
        decided = self.writer.write(session, claim, worker, write)
        if decided is None:
            return None
        logger.info("moderation %s: %s by %s", claim.moderation_id, ruling.action, ruling.rule)
        return Outcome(
            decided,
            judged.record,
            # Only a review decision, or an earlier failed try, can have opened one.
            self.review_lane.state(session, claim.moderation_id)
            if ruling.action == "review" or claim.attempt > 1
            else None,
            thumbnails_json(detections) if isinstance(detections, Timeline) else None,
            findings_list_to_json(detections.findings) if detections.findings else None,
        )

    def _after_commit(self, judged: Judged, outcome: Outcome | None) -> None:
        """The shadow decisions, once the real one is committed."""
        if outcome is not None and judged.ruling.shadows:
            self.policies.store.record_shadow(judged.ruling.shadows)

    def judged_committed(self, moderation_id: str, judged: Judged, outcome: Outcome) -> None:
        """A decision ``write_judged`` wrote outside a job's run was committed: the shadow
        decisions, and whoever waits for the moderation is told."""
        try:
            self._after_commit(judged, outcome)
        finally:
            self.decided.notify(moderation_id, outcome)

    def _previews(self, record: MediaRecord, detected: Detected) -> None:
        """Previews, and for a video its blurred proxy, made before reviewers can open the task
        (so the console's first request does not wait for the encode)."""
        try:
            self.media.make_previews(record, detected.frame)
            if record.info.kind == "video":
                ensure_blurred_proxy(self.media.blobs, record, self.media.preview_blur_radius)
        except Exception:  # the review still opens; the preview is made when first asked for
            logger.exception("previews of media %s could not be made now", record.id)

    # ---- failures, cancel, retry ----------------------------------------------------------
    def _failed_try(self, claim: Claim, worker: str, exc: Exception) -> bool:
        """Retry later, or fail the job for good; True when the moderation is now settled."""
        message = f"{type(exc).__name__}: {exc}"
        permanent = isinstance(exc, ModgateError) and 400 <= exc.http_status < 500
        if not permanent and claim.attempt < claim.max_attempts:
            delay = self.settings.retry_backoff_seconds * 2 ** (claim.attempt - 1)
            logger.warning(
                "job %s try %d/%d failed, retrying in %.1fs: %s",
                claim.job_id,
                claim.attempt,
                claim.max_attempts,
                delay,
                message,
            )
            self.jobs.retry_later(claim.job_id, worker, message, delay)
            return False
        logger.error(
            "job %s failed for good after %d tries: %s\n%s",
            claim.job_id,
            claim.attempt,
            message,
            "".join(traceback.format_exception(exc)),
        )
        return self._fail(claim, worker, getattr(exc, "code", "InternalError"), message)

    def _fail(self, claim: Claim, worker: str, code: str, message: str) -> bool:
        """Fail the job for good and route the item to review (never silently allowed)."""
        write = DecisionWrite(processing_failed(message), error=JobError(code, message))
        with transaction(self.sessions) as session:
            self.writer.write(session, claim, worker, write)
        return True

    def retry(self, job_id: str, actor: str) -> None:
        """Run a failed or cancelled job again. Its item goes back to ``queued`` and the review
        its failure opened is withdrawn: the job decides it (or, failing again, opens another).
        An item a reviewer has already decided is not retried: that would overwrite the
        verdict. ``actor`` (as the audit log names actors) is recorded as who asked."""
        with transaction(self.sessions) as session:
            moderation_id = self.jobs.retry_in(session, job_id)
            moderation = session.get(ModerationRow, moderation_id)
            if moderation is None:
                raise ModgateError(f"moderation {moderation_id} is missing")
            if moderation.final_action is not None:
                raise ConflictException(
                    f"Moderation {moderation_id} was decided by review ({moderation.final_action});"
                    " retrying its job would overwrite the verdict."
                )
            now = self.clock()
            self.review_lane.withdraw(session, moderation_id, now)
            moderation.status, moderation.error, moderation.updated_at = "queued", None, now
            record(session, JobRetried(moderation_id=moderation_id, actor=actor, job_id=job_id))

    def cancel(self, job_id: str, actor: str) -> None:
        """Cancel a queued job. No machine decides its item then, so the item goes to review
        as one whose processing failed (``jobs retry`` can still run the job). ``actor`` (as
        the audit log names actors) is recorded as who cancelled it."""
        message = f"cancelled by {actor} before it ran"
        error = JobError("JobCancelled", message)
        write = DecisionWrite(processing_cancelled(message), error=error)
        with transaction(self.sessions) as session:
            claim = self.jobs.cancel_in(session, job_id)
            self.writer.write(session, claim, actor, write, settle_job=False)
            cancelled = JobCancelled(moderation_id=claim.moderation_id, actor=actor, job_id=job_id)
            record(session, cancelled)
