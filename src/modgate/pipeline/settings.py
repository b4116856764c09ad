"""Settings of the moderation pipeline (the ``pipeline`` section; env ``MODGATE_PIPELINE__*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from modgate.detection.settings import REUSE_THRESHOLD


class PipelineSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``pipeline``)."""

    executor: Literal["embedded", "celery"] = Field(
        default="embedded", description="Run jobs inside `modgate serve` or on Celery workers."
    )
    workers: int = Field(default=2, ge=0, description="Embedded worker threads (0: none).")
    request_jobs: int = Field(
        default=16,
        ge=0,
        description="`wait=true` jobs run at once on their own request's thread; more are "
        "queued for the workers (0: all are).",
    )
    broker_url: str = Field(
        default="redis://127.0.0.1:6379/0", description="Celery broker (Redis or RabbitMQ)."
    )
    max_attempts: int = Field(default=3, ge=1, le=50, description="Tries before a job fails.")
    retry_backoff_seconds: float = Field(
        default=2.0, ge=0, description="First retry delay; doubles on each further try."
    )
    job_timeout_seconds: float = Field(
        default=600.0,
        gt=0,
        description="A running job's lease, renewed as a video's samples are detected; "
        "a job that makes no progress for this long is retried.",
    )
    job_cpu_seconds: float = Field(
        default=600.0,
        ge=0,
        description="CPU time a job's detection may use on its worker thread before the job "
        "fails for good (JobCpuBudgetExceededException) and its item goes to review; 0: no "
        "budget.",
    )
    poll_seconds: float = Field(
        default=1.0, gt=0, description="How often idle workers look for claimable jobs."
    )
    wait_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest `wait=true` holds a request open."
    )
    video_fps: float = Field(
        default=1.0, gt=0, le=30, description="Video frames sampled per second."
    )
    scene_threshold: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description="Mean frame difference that counts as a scene change "
        "(an extra sample); 0 disables.",
    )
    reuse_threshold: float = Field(
        default=REUSE_THRESHOLD,
        ge=0,
        le=1,
        description="A video sample whose picture differs from the last detected one by less "
        "than this (largest block difference, 0-1), with no scene cut between, reuses its "
        "detections instead of running the models; 0 disables.",
    )
    segment_gap_ms: int = Field(
        default=1500,
        ge=0,
        description="Detections of a label closer than this merge into one segment.",
    )
    default_policy_file: str = Field(
        default="",
        description="Policy used for a surface with no active policy; empty means the "
        "shipped seed policy when available.",
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="Webhook HTTP timeout.")
    webhook_concurrency: int = Field(
        default=8,
        ge=1,
        le=256,
        description="Webhook deliveries sent at once (at most one per endpoint), so a slow "
        "receiver delays no other.",
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, description="Webhook tries before a delivery is marked failed."
    )
    webhook_backoff_seconds: float = Field(
        default=5.0, ge=0, description="First webhook retry delay; doubles on each further try."
    )
