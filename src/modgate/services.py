"""The composition root: every store and service of one process, built from ``Settings`` for
the process's role.

``Services.build(settings, role)`` is the one place objects are wired together. ``create_app``
builds one for the API, ``modgate worker`` one for a worker, every other command one for the
command line (on first use, see ``modgate.core_cli.command_services``). Routes and commands call
use cases on what it holds; nothing else reads settings, opens the database or builds services.

Roles:

* ``api`` — the HTTP API. Jobs are published to the Celery broker when
  ``pipeline.executor=celery``; otherwise the embedded workers run them (``create_app`` starts
  them).
* ``worker`` — ``modgate worker``: runs jobs (embedded polling or Celery), never publishes.
* ``cli`` — one command. Wired like the API (a job submitted from the command line is
  published to the workers), but nothing is started: a command runs what it needs itself.

Building migrates the database to the newest schema (``migrate=False`` leaves it) and removes
upload spool files a dead process left behind. The API and workers keep their bank index fresh
on a timer (``modgate.banks.index.Refresher``); a command reads it when it first looks up. The
detection engine is loaded on first use (``services.pipeline.engine()``), so commands that
detect nothing never load models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from modgate.audit.service import AuditService
from modgate.auth.aws import Sealer
from modgate.auth.service import AuthService
from modgate.banks.index import BankIndex, Refresher
from modgate.banks.index_feed import SqlIndexFeed
from modgate.banks.service import BankService
from modgate.banks.store import SqlBankStore
from modgate.db import make_engine, session_factory, upgrade
from modgate.db.base import utcnow
from modgate.detection.custom.store import SqlCustomLabelStore
from modgate.events.webhooks import WebhookService
from modgate.governance.policy_gate import PolicyGovernance
from modgate.governance.retention import RetentionService
from modgate.labels.service import CustomLabelService
from modgate.media import MediaLimits, MediaService, SqlMediaStore, make_blob_store
from modgate.media.blobstore import BlobStore, LocalBlobStore
from modgate.media.s3_blobstore import S3BlobStore
from modgate.media.service import remove_abandoned_spool
from modgate.metrics.service import MetricsService
from modgate.moderation.store import SqlModerationStore
from modgate.pipeline.jobs import JobStore
from modgate.pipeline.runtime import LoadedEngine, Pipeline
from modgate.pipeline.service import ModerationService
from modgate.policy.store import SqlPolicyStore
from modgate.review.service import ReviewService
from modgate.settings import Settings
from modgate.streams.decide import StreamDecider
from modgate.streams.moments import ModeratedMoments
from modgate.streams.run import StreamTools
from modgate.streams.service import StreamService
from modgate.streams.supervisor import StreamSupervisor
from modgate.telemetry import configure as configure_telemetry
from modgate.viewer import ViewerDecisions

Role = Literal["api", "worker", "cli"]
ROLES: tuple[Role, ...] = ("api", "worker", "cli")


# How often a server or worker re-reads which custom labels exist (policies may name them).
LABELS_REFRESH_SECONDS = 30.0


@dataclass(eq=False)
class Services:
    """The services of one process. Build with ``Services.build``; ``close()`` when done."""

    settings: Settings
    role: Role
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    media: MediaService
    auth: AuthService
    review: ReviewService
    pipeline: Pipeline
    governance: PolicyGovernance
    retention: RetentionService
    viewer: ViewerDecisions
    banks: BankService
    labels: CustomLabelService
    bank_refresher: Refresher
    audit: AuditService
    metrics: MetricsService
    streams: StreamService
    stream_workers: StreamSupervisor

    @classmethod
    def build(
        cls,
        settings: Settings,
        role: Role = "api",
        *,
        migrate: bool = True,
        detection_engine: LoadedEngine | None = None,
    ) -> Services:
        """Every service for a process in ``role``, on the database and blob store the
        settings name. ``detection_engine``: one to use instead of loading the configured
        detectors (tests, benchmarks)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.metrics.prometheus != "off":
            configure_telemetry(settings.resolved_prometheus_dir)
        url = settings.resolved_database_url
        engine = make_engine(url)
        if migrate:
            upgrade(url, engine)
        sessions = session_factory(engine)
        blobs = make_blob_store(settings)
        spool = settings.data_dir / "spool"
        media = MediaService(
            SqlMediaStore(sessions),
            blobs,
            MediaLimits.from_settings(settings),
            preview_max_side=settings.preview_max_side,
            preview_blur_radius=settings.preview_blur_radius,
            spool_dir=spool,
        )
        remove_abandoned_spool(spool)
        moderations = SqlModerationStore()
        bank_store = SqlBankStore(sessions)
        bank_index = BankIndex(SqlIndexFeed(sessions))
        banks = BankService(sessions, bank_store, bank_index, media, moderations, settings.banks)
        refresher = Refresher(bank_index, settings.banks.refresh_seconds)
        if role != "cli":
            refresher.start()
        review = ReviewService(sessions, settings.review, moderations=moderations, banks=banks)
        label_store = SqlCustomLabelStore(sessions, blobs)
        labels = CustomLabelService(label_store, sessions, blobs, settings=settings.labels)
        labels.refresh_taxonomy()
        if role != "cli":
            labels.keep_taxonomy_fresh(LABELS_REFRESH_SECONDS)
            labels.start_training()
        pipeline = Pipeline(
            settings,
            sessions,
            media,
            blobs,
            review_lane=review.lane,
            moderations=moderations,
            publish=settings.pipeline.executor == "celery" and role != "worker",
            engine=detection_engine,
            banks=banks,
            custom_labels=label_store,
        )
        streams = StreamService(sessions, settings.streams, pipeline.outbound, utcnow)
        stream_tools = StreamTools(
            sessions=sessions,
            engine=pipeline.engine,
            decider=StreamDecider(pipeline.policies, utcnow),
            blobs=blobs,
            guard=pipeline.outbound,
            settings=settings.streams,
            gap_ms=settings.pipeline.segment_gap_ms,
            scene_threshold=settings.pipeline.scene_threshold,
            reuse_threshold=settings.pipeline.reuse_threshold,
            clock=utcnow,
            http_timeout=settings.pipeline.webhook_timeout_seconds,
            moments=ModeratedMoments(pipeline.moderations),
        )
        return cls(
            settings=settings,
            role=role,
            engine=engine,
            sessions=sessions,
            blobs=blobs,
            media=media,
            auth=AuthService(
                sessions,
                settings.auth,
                sealer=Sealer(settings.auth.secrets_key, settings.data_dir / "secrets.key"),
            ),
            review=review,
            pipeline=pipeline,
            governance=PolicyGovernance(sessions, pipeline.policy_store, settings.policy),
            retention=RetentionService(sessions, blobs),
            viewer=ViewerDecisions(sessions, pipeline.policies, moderations, pipeline.detections),
            banks=banks,
            labels=labels,
            bank_refresher=refresher,
            audit=AuditService(sessions, settings.audit, checkpoint_store(settings)),
            metrics=MetricsService(sessions, review.queue_stats),
            streams=streams,
            stream_workers=StreamSupervisor(streams.store, stream_tools, name=role),
        )

    @property
    def moderations(self) -> ModerationService:
        """Submit, read and list moderations (the pipeline's use cases)."""
        return self.pipeline.moderations

    @property
    def jobs(self) -> JobStore:
        return self.pipeline.jobs

    @property
    def webhooks(self) -> WebhookService:
        return self.pipeline.webhooks

    @property
    def policies(self) -> SqlPolicyStore:
        """Stored policy versions, activations and shadows."""
        return self.pipeline.policy_store

    def close(self) -> None:
        """Stop whatever the pipeline started, close the detection engine and the database
        connections. Safe to call more than once."""
        self.stream_workers.stop()
        self.pipeline.stop()
        self.labels.close()
        self.bank_refresher.stop()
        self.audit.stop()
        self.engine.dispose()


def checkpoint_store(settings: Settings) -> BlobStore:
    """Where the audit log's signed checkpoints go: the S3 bucket ``audit.checkpoint_bucket``
    (with the S3 settings' endpoint and region), or the folder ``audit.checkpoint_dir``."""
    if settings.audit.checkpoint_bucket:
        args: dict[str, str] = {"region_name": settings.s3_region}
        if settings.s3_endpoint_url:
            args["endpoint_url"] = settings.s3_endpoint_url
        return S3BlobStore(
            settings.audit.checkpoint_bucket, settings.audit.checkpoint_prefix, **args
        )
    return LocalBlobStore(settings.resolved_checkpoint_dir)
