"""Builds the pipeline's moving parts from settings: detection engine (once per process),
policy resolution, job store, the task, the executor, webhooks."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from modgate.events.webhooks import WebhookDispatcher, WebhookService
from modgate.media.outbound import OutboundGuard, OutboundPolicy
from modgate.pipeline.detections import SqlDetectionStore
from modgate.pipeline.executor import (
    CeleryExecutor,
    Decided,
    EmbeddedExecutor,
    Executor,
    JobRunner,
    RunHere,
)
from modgate.pipeline.executor import worker_name as make_worker_name
from modgate.pipeline.jobs import JobStore
from modgate.pipeline.policies import PolicyResolver
from modgate.pipeline.processor import ModerationProcessor
from modgate.pipeline.service import ModerationService
from modgate.policy.store import SqlPolicyStore

if TYPE_CHECKING:
    from modgate.services import Services

logger = logging.getLogger(__name__)


class Pipeline:
    """Everything the moderation pipeline needs in one process."""

    def __init__(self, services: Services, role: str = "api", engine: Any = None) -> None:
        settings = services.settings
        self.settings = settings.pipeline
        self.services = services
        self.role = role
        self._engine = engine
        self._engine_lock = threading.Lock()
        self.jobs = JobStore(services.sessions)
        self.policy_store = SqlPolicyStore(services.sessions)
        self.policies = PolicyResolver(
            self.policy_store,
            self.settings.default_policy_file,
            settings.policy.default_surface,
            settings.policy.shadow_enabled,
        )
        self.detections = SqlDetectionStore(services.sessions)
        self.decided = Decided()
        self.processor = ModerationProcessor(
            services.sessions,
            services.media,
            services.blobs,
            self.engine,
            self.policies,
            self.detections,
            self.jobs,
            self.settings,
            decided=self.decided,
        )
        self.runner = JobRunner(self.jobs, self.processor.run, self.settings.job_timeout_seconds)
        self.executor: Executor
        inline = None
        run_here = None
        if self.settings.executor == "celery" and role == "api":
            self.executor = CeleryExecutor(self.settings.broker_url)
        else:
            self.executor = EmbeddedExecutor(
                self.runner, self.settings.workers, self.settings.poll_seconds
            )
            if self.settings.workers == 0:
                inline = self.run_job_inline
            elif self.settings.request_jobs > 0:
                run_here = RunHere(
                    self.processor.run,
                    self.settings.request_jobs,
                    self.settings.job_timeout_seconds,
                )
        self.moderations = ModerationService(
            services.sessions,
            services.media,
            self.jobs,
            self.executor,
            self.settings,
            inline_runner=inline,
            decided=self.decided,
            run_here=run_here,
        )
        outbound = OutboundGuard(OutboundPolicy.from_settings(settings))
        self.webhooks = WebhookService(services.sessions, self.settings, outbound)
        self.dispatcher = WebhookDispatcher(
            self.webhooks, outbound, self.settings.poll_seconds, self.settings.webhook_concurrency
        )
        self._inline_worker = make_worker_name("inline")

    @property
    def runs_jobs(self) -> bool:
        return isinstance(self.executor, EmbeddedExecutor) and self.settings.workers > 0

    def engine(self) -> Any:
        """The detection engine, loaded on first use (once per process)."""
        with self._engine_lock:
            if self._engine is None:
                from modgate.detection import DetectionEngine

                self._engine = DetectionEngine.from_settings(self.services.settings)
            return self._engine

    def run_job_inline(self, job_id: str) -> None:
        self.runner.run_id(job_id, self._inline_worker)

    def start(self, dispatch_webhooks: bool = True) -> None:
        if self.runs_jobs:
            engine = self.engine()  # a detector that cannot load fails the start, not a job
            side = getattr(engine, "max_side", None)
            if side:  # jobs run here: intake hands its decoded images straight to detection
                self.services.media.hand_off_frames(
                    side, capacity=4 * max(1, self.settings.workers) + 8
                )
        self.executor.start()
        if dispatch_webhooks:
            self.dispatcher.start()

    def stop(self) -> None:
        self.executor.stop()
        self.dispatcher.stop()
        engine = self._engine
        if engine is not None and hasattr(engine, "close"):
            engine.close()
