"""The job task: detect (or reuse stored detections), decide with the active policy, record.

``ModerationProcessor.run(claim)`` is the one task function, run the same way by the embedded
executor and by Celery workers. Its result is written exactly once: the final ``UPDATE`` only
applies to a moderation that is not yet decided, in the same transaction as the job's success,
the review tasks and the ``moderation.completed`` event. A worker that lost its lease and wakes up
late finds the moderation decided and changes nothing.

``run`` returns what it committed (``Outcome``), so a request that ran its own job answers from
it without reading the moderation back.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import table_of, transaction, utcnow
from modgate.detection.video import Coverage
from modgate.errors import ConflictException, ModgateError
from modgate.events import MODERATION_COMPLETED, record_event
from modgate.media.blobstore import BlobStore, readable_path
from modgate.media.previews import to_rgb
from modgate.media.scale import draft_long_side
from modgate.media.service import MediaService
from modgate.media.store import MediaRecord, record_from_row
from modgate.media.tables import MediaRow
from modgate.pipeline.animation import detect_animation
from modgate.pipeline.detections import SqlDetectionStore
from modgate.pipeline.executor import Decided
from modgate.pipeline.jobs import Claim, JobStore
from modgate.pipeline.labels import moderation_summary, review_state_of
from modgate.pipeline.policies import PolicyResolver
from modgate.pipeline.settings import PipelineSettings
from modgate.pipeline.tables import DetectionRow, ModerationExtraRow, ModerationRow
from modgate.pipeline.video import detect_video, flagged_timestamps
from modgate.policy import Context, evaluate
from modgate.policy.shadow import evaluate_with_shadow
from modgate.policy.store import ShadowRecord
from modgate.taxonomy.rekognition_json import detections_from_json

logger = logging.getLogger(__name__)

# The decision's UPDATE, built once: its values are parameters, so its SQL is compiled once. It
# returns the decided row: the event's summary and the answer to a waiting request come from it.
_moderations = table_of(ModerationRow)
_DECIDE = (
    update(_moderations)
    .where(_moderations.c.id == bindparam("moderation_id"), _moderations.c.status != "completed")
    .returning(*_moderations.c)
)

_media = table_of(MediaRow)
_detections = table_of(DetectionRow)
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
        & (_detections.c.model_version == bindparam("model_version")),
    )
    .where(_moderations.c.id == bindparam("moderation_id"))
)

THUMBNAIL_SIDE = 320
FLAG_FLOOR = 50.0
FAILURE_ROUTE = {"queue": "failures", "priority": "high", "reviewers": 1}
# The rule named when a video that would be allowed goes to review because damage hid part of it.
INCOMPLETE_RULE = "modgate.incomplete-media"


class LeaseLost(Exception):
    """The job's lease ran out and another worker took it: this run stops."""


class Heartbeat:
    """Renews a running job's lease as the job makes progress (called after each video or
    animation sample), at most four times per lease. A long video keeps its lease while its
    samples keep being detected; only a job that makes no progress for a whole job timeout (a
    hung worker) loses it and is tried again elsewhere."""

    def __init__(self, jobs: JobStore, claim: Claim, worker: str, lease_seconds: float) -> None:
        self.jobs = jobs
        self.claim = claim
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.renewed = time.monotonic()

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self.renewed < self.lease_seconds / 4:
            return
        self.renewed = now
        if not self.jobs.extend(self.claim.job_id, self.worker, self.lease_seconds):
            raise LeaseLost(f"job {self.claim.job_id} is no longer held by {self.worker}")


@dataclass(frozen=True, slots=True)
class Outcome:
    """A decision as this run committed it: the moderation's columns after the decision's
    ``UPDATE``, its media, its review state and (timelines) its thumbnails."""

    row: Row[Any]
    record: MediaRecord | None
    review: dict[str, Any] | None
    thumbnails: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class Fresh:
    """A moderation as its submitter just wrote it, for media that request just stored: the job
    it runs at once reads nothing back, and there are no stored detections to reuse."""

    record: MediaRecord
    context: dict[str, Any]
    created_at: dt.datetime


class _Buffer:
    """Collects shadow decisions so they are stored only once the real decision is committed."""

    def __init__(self) -> None:
        self.records: list[ShadowRecord] = []

    def record_shadow(self, records: Sequence[ShadowRecord]) -> None:
        self.records.extend(records)

    def shadow_records(self, *args: Any, **kwargs: Any) -> list[ShadowRecord]:
        return list(self.records)


class ModerationProcessor:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        media: MediaService,
        blobs: BlobStore,
        engine_factory: Callable[[], Any],
        policies: PolicyResolver,
        detections: SqlDetectionStore,
        jobs: JobStore,
        settings: PipelineSettings,
        clock: Callable[[], dt.datetime] = utcnow,
        decided: Decided | None = None,
    ) -> None:
        self.sessions = sessions
        self.media = media
        self.blobs = blobs
        self.engine_factory = engine_factory
        self.policies = policies
        self.detections = detections
        self.decided = decided or Decided()
        self.jobs = jobs
        self.settings = settings
        self.clock = clock

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
            result, image = self._detect(engine, known.record)
            return self._decide(
                claim, worker, known.record, result, True, image, context,
                context.get("surface"), known.created_at,
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
        detected = dict(found.job_detections) if found.job_detections is not None else None
        context = dict(found.job_context or {})
        surface = found.job_surface
        created_at = found.job_created_at
        frame = None
        fresh = detected is None
        if detected is None:
            heartbeat = Heartbeat(self.jobs, claim, worker, self.settings.job_timeout_seconds)
            detected, frame = self._detect(engine, record, heartbeat)
        return self._decide(
            claim, worker, record, detected, fresh, frame, context, surface, created_at
        )

    def _detect(
        self, engine: Any, record: MediaRecord, progress: Callable[[], None] | None = None
    ) -> tuple[dict[str, Any], Image.Image | None]:
        """The detections of ``record``, and the decoded image for a still image. ``progress``
        is called after each sample of a video or animation."""
        info = record.info
        side = getattr(engine, "max_side", None)
        handoff = self.media.handoff
        frame = handoff.take(info.sha256, side) if handoff is not None else None
        if frame is not None:  # intake in this process decoded it already
            return self._image_detections(engine, frame), frame
        unchecked = None
        with readable_path(self.blobs, record.blob_key) as path:
            if info.kind == "video":
                coverage = Coverage()
                duration_ms = round((info.duration_seconds or 0) * 1000) or None
                entries, images = detect_video(
                    engine,
                    path,
                    self.settings.video_fps,
                    self.settings.scene_threshold,
                    duration_ms,
                    FLAG_FLOOR,
                    THUMBNAIL_SIDE,
                    coverage,
                    progress,
                )
                unchecked = _unchecked(coverage, duration_ms, self.settings.video_fps)
            elif info.animated:
                entries, images = self._detect_animation(engine, path, progress)
            else:
                with Image.open(path) as image:
                    # Decode JPEGs only as large as the detectors need (DCT scaling).
                    draft_long_side(image, side)
                    image.load()  # decode while the file is open
                    frame = to_rgb(image)
                return self._image_detections(engine, frame), frame
        thumbnails = self._thumbnails(info.sha256, entries, images)
        detected: dict[str, Any] = {
            "kind": "timeline",
            "ModerationModelVersion": engine.model_version,
            "entries": entries,
            "thumbnails": thumbnails,
        }
        if unchecked:
            detected["unchecked"] = unchecked
        return detected, None

    @staticmethod
    def _image_detections(engine: Any, frame: Image.Image) -> dict[str, Any]:
        body = engine.detect_image(frame).to_rekognition(min_confidence=0.0)
        return {
            "kind": "image",
            "ModerationModelVersion": engine.model_version,
            "ModerationLabels": body["ModerationLabels"],
            "ContentTypes": body["ContentTypes"],
            "TextDetections": body.get("TextDetections", []),
        }

    def _detect_animation(
        self, engine: Any, path: Path, progress: Callable[[], None] | None = None
    ) -> tuple[list[dict[str, Any]], dict[int, Image.Image]]:
        """Animated GIF/WebP/APNG, multi-page TIFF: the frame on screen at each sampling time
        and frames after a scene change, like video (see ``modgate.pipeline.animation``)."""
        return detect_animation(
            engine,
            path,
            self.settings.video_fps,
            self.settings.scene_threshold,
            FLAG_FLOOR,
            THUMBNAIL_SIDE,
            progress,
        )

    def _thumbnails(
        self, sha256: str, entries: list[dict[str, Any]], images: dict[int, Image.Image]
    ) -> dict[str, str]:
        keys: dict[str, str] = {}
        for stamp in flagged_timestamps(entries, FLAG_FLOOR):
            image = images.get(stamp)
            if image is None:
                continue
            thumb = image.copy()
            thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            out = io.BytesIO()
            thumb.convert("RGB").save(out, format="JPEG", quality=80)
            key = f"thumbnails/{sha256[:2]}/{sha256}/{stamp}.jpg"
            self.blobs.put_bytes(key, out.getvalue(), "image/jpeg")
            keys[str(stamp)] = key
        return keys

    # ---- the decision ---------------------------------------------------------------------
    def _decide(
        self,
        claim: Claim,
        worker: str,
        record: MediaRecord,
        detected: dict[str, Any],
        fresh: bool,
        frame: Image.Image | None,
        context: dict[str, Any],
        surface: str | None,
        created_at: dt.datetime,
    ) -> Outcome | None:
        policy, shadows = self.policies.for_surface(surface)
        policy_input = detections_from_json(policy_input_of(detected))
        policy_context = Context.from_dict(context, now=created_at)
        buffer = _Buffer()
        if policy is None:
            decision_dict = _machine_review(
                "modgate.no-active-policy", "no policy is active for this surface", "default"
            )
        else:
            if shadows:
                decision = evaluate_with_shadow(
                    policy,
                    shadows,
                    policy_input,
                    policy_context,
                    surface=surface or "default",
                    recorder=buffer,
                    clock=self.clock,
                    moderation_id=claim.moderation_id,
                )
            else:
                decision = evaluate(policy, policy_input, policy_context)
            decision_dict = decision.to_dict()
        unchecked = detected.get("unchecked")
        if unchecked:  # never allowed unseen: a person looks at what could be read
            decision_dict["reasons"] = [*(decision_dict.get("reasons") or []), unchecked["reason"]]
            if decision_dict["action"] == "allow":
                decision_dict.update(
                    action="review",
                    rule=INCOMPLETE_RULE,
                    review=FAILURE_ROUTE | {"queue": "default"},
                )
        labels = (
            detected["entries"] if detected["kind"] == "timeline" else detected["ModerationLabels"]
        )
        content_types = [] if detected["kind"] == "timeline" else detected.get("ContentTypes", [])
        review = decision_dict["action"] == "review"
        if review:
            self._previews(record, frame)  # made before reviewers can see the task
        outcome = None
        with transaction(self.sessions) as session:
            if fresh:
                self.detections.add(
                    session, record.info.sha256, detected["ModerationModelVersion"], detected
                )
            decided = self._commit(
                session,
                claim,
                worker,
                record,
                detected,
                labels,
                content_types,
                decision_dict,
                status="completed",
            )
            if decided is not None:
                logger.info(
                    "moderation %s: %s by %s",
                    claim.moderation_id,
                    decision_dict["action"],
                    decision_dict["rule"],
                )
                timeline = detected["kind"] == "timeline"
                outcome = Outcome(
                    decided,
                    record,
                    # Only a review decision, or an earlier failed try, can have opened one.
                    review_state_of(session, claim.moderation_id)
                    if review or claim.attempt > 1
                    else None,
                    (detected.get("thumbnails") or {}) if timeline else None,
                )
            else:
                buffer.records.clear()
        if buffer.records:
            self.policies.store.record_shadow(buffer.records)
        return outcome

    def _previews(self, record: MediaRecord, frame: Image.Image | None) -> None:
        try:
            self.media.make_previews(record, frame)
        except Exception:  # the review still opens; the preview is made when first asked for
            logger.exception("previews of media %s could not be made now", record.id)

    def _commit(
        self,
        session: Session,
        claim: Claim,
        worker: str,
        record: MediaRecord | None,
        detected: dict[str, Any] | None,
        labels: list[Any] | None,
        content_types: list[Any] | None,
        decision: dict[str, Any],
        status: str,
        error: dict[str, Any] | None = None,
        settle_job: bool = True,
    ) -> Row[Any] | None:
        """Write the result once and return the decided row; None when another worker already
        did. ``settle_job``: mark the job done (or failed) too; a caller that settled it already
        says False.

        A moderation whose job failed for good may be decided later by a retried job; a
        completed one is never written again.
        """
        now = self.clock()
        action = decision["action"]
        values: dict[str, Any] = dict(
            status=status,
            action=action,
            rule_id=decision["rule"],
            policy_version=decision.get("policy_version"),
            decision=decision,
            decided_at=now,
            updated_at=now,
            final_action=None if action == "review" else action,
            error=error,
        )
        if detected is not None:
            values.update(
                labels=labels,
                content_types=content_types,
                model_version=detected["ModerationModelVersion"],
            )
        decided = session.execute(
            _DECIDE, {"moderation_id": claim.moderation_id, **values}
        ).first()
        if decided is None:
            if settle_job:
                self.jobs.finish(session, claim.job_id, worker)
            return None
        if detected is not None and detected["kind"] == "timeline":
            extra = session.get(ModerationExtraRow, claim.moderation_id)
            if extra is not None:
                extra.thumbnails = detected.get("thumbnails") or {}
        if action == "review":
            moderation = session.get(ModerationRow, claim.moderation_id)
            assert moderation is not None
            open_review(session, moderation)
        summary = moderation_summary(decided, decision)
        record_event(session, MODERATION_COMPLETED, claim.moderation_id, summary)
        if settle_job and status == "failed":
            self.jobs.mark_failed(session, claim.job_id, (error or {}).get("message", ""))
        elif settle_job:
            self.jobs.finish(session, claim.job_id, worker)
        return decided

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
        with transaction(self.sessions) as session:
            self._commit(
                session,
                claim,
                worker,
                None,
                None,
                None,
                None,
                _machine_review("modgate.processing-failed", f"processing failed: {message}"),
                status="failed",
                error={"code": code, "message": message},
            )
        return True

    def retry(self, job_id: str) -> None:
        """Run a failed or cancelled job again. Its item goes back to ``queued`` and the review
        its failure opened is withdrawn: the job decides it (or, failing again, opens another).
        An item a reviewer has already decided is not retried: that would overwrite the
        verdict."""
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
            withdraw_reviews(session, moderation_id, now)
            moderation.status, moderation.error, moderation.updated_at = "queued", None, now

    def cancel(self, job_id: str, actor: str = "operator") -> None:
        """Cancel a queued job. No machine decides its item then, so the item goes to review
        as one whose processing failed (``jobs retry`` can still run the job)."""
        message = f"cancelled by {actor} before it ran"
        with transaction(self.sessions) as session:
            claim = self.jobs.cancel_in(session, job_id)
            self._commit(
                session,
                claim,
                actor,
                None,
                None,
                None,
                None,
                _machine_review("modgate.processing-cancelled", message),
                status="failed",
                error={"code": "JobCancelled", "message": message},
                settle_job=False,
            )


def _machine_review(rule: str, reason: str, queue: str = "failures") -> dict[str, Any]:
    """A decision modgate itself makes when no policy decided the item (processing failed or
    was cancelled, no policy is active): review, in ``queue``, at high priority."""
    return {
        "action": "review",
        "rule": rule,
        "policy_version": None,
        "reasons": [reason],
        "matched": [],
        "review": FAILURE_ROUTE | {"queue": queue},
        "trace": [],
    }


def _unchecked(
    coverage: Coverage, duration_ms: int | None, fps: float
) -> dict[str, Any] | None:
    """What damage kept from view, when that is more than one sampling interval (and a second):
    seconds unseen, the damaged packets, and a reason for the decision."""
    unseen = coverage.unchecked_ms(duration_ms)
    if unseen <= max(1000.0 / fps, 1000.0):
        return None
    of = f" of {duration_ms / 1000:.1f} s" if duration_ms else ""
    return {
        "unchecked_ms": round(unseen),
        "damaged_packets": coverage.damaged_packets,
        "reason": f"{unseen / 1000:.1f} s{of} could not be decoded and were not checked "
        f"({coverage.damaged_packets} damaged packets)",
    }


def policy_input_of(detected: dict[str, Any]) -> dict[str, Any]:
    """What the policy engine reads: an image response, or per-timestamp entries for video."""
    if detected["kind"] == "timeline":
        return {"ModerationLabels": detected["entries"]}
    return {
        "ModerationLabels": detected["ModerationLabels"],
        "ContentTypes": detected.get("ContentTypes", []),
        "TextDetections": detected.get("TextDetections", []),
    }


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
