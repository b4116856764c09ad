"""Settings of the audit log's checkpoints (the ``audit`` section; env ``MODGATE_AUDIT__*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class AuditSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``audit``)."""

    signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 signing key of the checkpoints (`modgate audit keygen`); "
        "unset: no checkpoints are signed.",
    )
    verifier_key: str = Field(
        default="",
        description="Verifier key of the checkpoints; empty: derived from the signing key.",
    )
    checkpoint_dir: Path | None = Field(
        default=None,
        description="Folder the signed checkpoints are written to; unset: DATA_DIR/audit.",
    )
    checkpoint_bucket: str = Field(
        default="",
        description="S3 bucket the checkpoints are written to instead of CHECKPOINT_DIR "
        "(the endpoint and region of the S3 settings).",
    )
    checkpoint_prefix: str = Field(
        default="audit/", description="Key prefix of the checkpoints in CHECKPOINT_BUCKET."
    )
    checkpoint_interval_seconds: float = Field(
        default=300.0,
        ge=1.0,
        description="How often `modgate serve` signs a checkpoint when the log grew.",
    )
