"""The moderation pipeline's moving parts in one process, wired together: job store, policy
resolution, stored detections, the processor (the task), the executor, the moderation service,
webhooks, and the detection engine (loaded on first use, once per process).

``Pipeline`` is a sub-assembly of the composition root: only ``modgate.services.Services``
builds one, from the process's settings and the stores it built first.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from modgate.detection.custom.detector import CustomLabelSource
from modgate.detection.engine import DetectionEngine
from modgate.detection.store import SqlDetectionStore
from modgate.events.webhooks import WebhookDispatcher, WebhookService
from modgate.media.blobstore import BlobStore
from modgate.media.service import MediaService
from modgate.moderation.store import ModerationStore
from modgate.outbound import OutboundGuard, OutboundPolicy
from modgate.pipeline.bank_stage import BankLookup, BankStage
from modgate.pipeline.detect import MediaDetector
from modgate.pipeline.executor import (
    CeleryExecutor,
    Decided,
    EmbeddedExecutor,
    Executor,
    JobRunner,
    RunHere,
)
from modgate.pipeline.executor import worker_name as make_worker_name
from modgate.pipeline.jobs import SqlJobStore
from modgate.pipeline.policies import PolicyResolver
from modgate.pipeline.processor import ModerationProcessor
from modgate.pipeline.review_lane import ReviewLane
from modgate.pipeline.service import ModerationService
from modgate.policy.store import SqlPolicyStore
from modgate.settings import Settings

logger = logging.getLogger(__name__)


class LoadedEngine(MediaDetector, Protocol):
    """The detection engine a process loads once (``DetectionEngine`` is one): what jobs
    need of it, and ``close`` when the process stops."""

    def close(self) -> None: ...


class Pipeline:
    """Everything the moderation pipeline needs in one process.

    ``publish``: submitted jobs are published to the Celery broker (``pipeline.executor`` is
    ``celery`` and this process does not run jobs itself); otherwise the embedded executor is
    wired, and runs jobs once started. ``review_lane`` opens the reviews decisions ask for and
    tells a moderation's review state; ``moderations`` is the moderation record the decisions
    are written to. ``engine``: a detection engine to use instead of loading one from the
    settings (tests, benchmarks).
    """

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        media: MediaService,
        blobs: BlobStore,
        *,
        review_lane: ReviewLane,
        moderations: ModerationStore,
        publish: bool,
        engine: LoadedEngine | None = None,
        banks: BankLookup | None = None,
        custom_labels: CustomLabelSource | None = None,
    ) -> None:
        self.settings = settings.pipeline
        self._settings = settings
        self.media = media
        self._engine = engine
        self._custom_labels = custom_labels
        self._engine_lock = threading.Lock()
        self.jobs = SqlJobStore(sessions)
        self.policy_store = SqlPolicyStore(sessions)
        self.policies = PolicyResolver(
            self.policy_store,
            self.settings.default_policy_file,
            settings.policy.default_surface,
            settings.policy.shadow_enabled,
        )
        self.detections = SqlDetectionStore()
        self.decided = Decided()
        self.processor = ModerationProcessor(
            sessions,
            media,
            blobs,
            self.engine,
            self.policies,
            self.detections,
            self.jobs,
            self.settings,
            moderations=moderations,
            review_lane=review_lane,
            decided=self.decided,
            banks=BankStage(banks, settings.banks.skip_detection_distance),
        )
        self.runner = JobRunner(self.jobs, self.processor.run, self.settings.job_timeout_seconds)
        self.executor: Executor
        inline = None
        run_here = None
        if publish:
            self.executor = CeleryExecutor(self.settings.broker_url)
        else:
            self.executor = EmbeddedExecutor(
                self.runner, self.settings.workers, self.settings.poll_seconds
            )
            if self.settings.workers == 0:
                inline = self.run_job_inline
            elif self.settings.request_jobs > 0:
                run_here = RunHere(
                    self.processor,
                    self.settings.request_jobs,
                    self.settings.job_timeout_seconds,
                )
        self.moderations = ModerationService(
            sessions,
            media,
            self.jobs,
            self.executor,
            self.settings,
            moderations=moderations,
            review_lane=review_lane,
            inline_runner=inline,
            decided=self.decided,
            run_here=run_here,
        )
        outbound = OutboundGuard(OutboundPolicy.from_settings(settings))
        self.outbound = outbound
        self.webhooks = WebhookService(sessions, self.settings, outbound)
        self.dispatcher = WebhookDispatcher(
            self.webhooks, outbound, self.settings.poll_seconds, self.settings.webhook_concurrency
        )
        self._inline_worker = make_worker_name("inline")

    @property
    def runs_jobs(self) -> bool:
        return isinstance(self.executor, EmbeddedExecutor) and self.settings.workers > 0

    def engine(self) -> LoadedEngine:
        """The detection engine, loaded on first use (once per process)."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = DetectionEngine.from_settings(
                    self._settings, custom_labels=self._custom_labels
                )
            return self._engine

    def run_job_inline(self, job_id: str) -> None:
        self.runner.run_id(job_id, self._inline_worker)

    def start(self, dispatch_webhooks: bool = True) -> None:
        if self.runs_jobs:
            engine = self.engine()  # a detector that cannot load fails the start, not a job
            side = engine.max_side
            if side:  # jobs run here: intake hands its decoded images straight to detection
                self.media.hand_off_frames(side, capacity=4 * max(1, self.settings.workers) + 8)
        self.executor.start()
        if dispatch_webhooks:
            self.dispatcher.start()

    def stop(self) -> None:
        """Stop the executor and the webhook dispatcher and close the detection engine; safe
        to call more than once, and on a pipeline never started."""
        self.executor.stop()
        self.dispatcher.stop()
        with self._engine_lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()
