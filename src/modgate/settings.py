"""modgate's settings: environment variables with the prefix ``MODGATE_``, or a TOML file.

Settings are built by ``create_app`` and by the command line's entry (``modgate.cli``), never at
import and nowhere else; ``modgate.services.Services`` hands each service its section. Values are
checked when they are built; a bad value stops start-up with a message that names the variable
and says how to fix it.
Sources, strongest first: arguments, environment variables, the file named by
``MODGATE_CONFIG_FILE`` (TOML), defaults. Nested sections use ``__`` in environment variables
(``MODGATE_DETECTION__DISABLED='["ocr"]'``). Every field is documented in ``docs/settings.md``;
a test fails when one is not.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from modgate.audit.settings import AuditSettings
from modgate.auth.settings import AuthSettings
from modgate.banks.settings import BankSettings
from modgate.detection.settings import DetectionSettings
from modgate.errors import SettingsError
from modgate.labels.settings import LabelSettings
from modgate.metrics.settings import MetricsSettings
from modgate.outbound import OutboundAllowList
from modgate.pipeline.settings import PipelineSettings
from modgate.policy.settings import PolicySettings
from modgate.review.settings import ReviewSettings
from modgate.streams.settings import StreamSettings

MB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MODGATE_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(
        default=Path("./modgate-data"), description="Folder for the embedded database and blobs."
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means SQLite at DATA_DIR/modgate.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    host: str = Field(default="127.0.0.1", description="Address `modgate serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `modgate serve` listens on.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Logging level."
    )
    outbound_allow: OutboundAllowList = Field(
        default="",
        description="Comma-separated CIDRs and host names modgate may connect to although they "
        "are internal (webhook receivers …); empty: public addresses only.",
    )

    blob_store: Literal["local", "s3"] = Field(
        default="local", description="Where media bytes live: a local folder or an S3 bucket."
    )
    blob_dir: Path | None = Field(
        default=None, description="Folder of the local blob store; unset means DATA_DIR/blobs."
    )
    s3_bucket: str = Field(default="", description="S3 bucket of the s3 blob store.")
    s3_prefix: str = Field(default="modgate/", description="Key prefix inside the S3 bucket.")
    s3_endpoint_url: str = Field(
        default="", description="S3 endpoint for S3-compatible stores (MinIO, Ceph …)."
    )
    s3_region: str = Field(default="us-east-1", description="Region of the S3 bucket.")

    max_image_bytes: int = Field(default=15 * MB, ge=1, description="Largest image file, bytes.")
    max_image_side: int = Field(default=10_000, ge=1, description="Largest image width or height.")
    max_image_pixels: int = Field(
        default=100_000_000, ge=1, description="Largest width × height (decompression-bomb guard)."
    )
    max_animation_pixels: int = Field(
        default=1_000_000_000,
        ge=1,
        description="Largest width × height × frames of an animated or multi-page image "
        "(frame-bomb guard).",
    )
    min_image_side: int = Field(default=16, ge=1, description="Smallest image width or height.")
    max_text_bytes: int = Field(
        default=64 * 1024, ge=1, le=1024 * 1024, description="Largest text, UTF-8 bytes."
    )
    max_video_bytes: int = Field(default=10 * 1024 * MB, ge=1, description="Largest video file.")
    max_video_seconds: float = Field(default=6 * 3600, gt=0, description="Longest video, seconds.")
    max_video_side: int = Field(
        default=7680, ge=16, description="Largest video frame width or height, pixels."
    )
    max_video_fps: float = Field(default=240, gt=0, description="Most video frames per second.")
    max_video_frames: int | None = Field(
        default=None,
        ge=1,
        description="Most frames in one video; unset means MAX_VIDEO_SECONDS × MAX_VIDEO_FPS.",
    )
    console_cache_max_bytes: int = Field(
        default=4 * 1024 * MB,
        ge=0,
        description="Bytes of S3 originals the console keeps on local disk for its player.",
    )
    preview_max_side: int = Field(
        default=512, ge=16, le=4096, description="Longest side of reviewer previews, pixels."
    )
    preview_blur_radius: float = Field(
        default=24.0, ge=1, description="Gaussian blur radius of the blurred preview, pixels."
    )
    retention_every_minutes: int = Field(
        default=60,
        ge=0,
        description="How often `modgate worker` deletes the media due under each tenant's "
        "retention settings; 0: never (run `modgate retention run` instead).",
    )

    detection: DetectionSettings = Field(
        default_factory=DetectionSettings, description="Detection stage; see the section below."
    )
    policy: PolicySettings = Field(
        default_factory=PolicySettings, description="Policy handling; see the section below."
    )
    pipeline: PipelineSettings = Field(
        default_factory=PipelineSettings, description="Jobs, video and webhooks; see below."
    )
    review: ReviewSettings = Field(
        default_factory=ReviewSettings, description="Review lane; see the section below."
    )
    auth: AuthSettings = Field(
        default_factory=AuthSettings, description="Accounts and API keys; see the section below."
    )
    banks: BankSettings = Field(
        default_factory=BankSettings, description="Hash banks and matching; see the section below."
    )
    audit: AuditSettings = Field(
        default_factory=AuditSettings, description="Audit log checkpoints; see the section below."
    )
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings, description="The Prometheus scrape; see below."
    )
    streams: StreamSettings = Field(
        default_factory=StreamSettings, description="Live streams; see the section below."
    )
    labels: LabelSettings = Field(
        default_factory=LabelSettings,
        description="Custom-label training jobs; see the section below.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("MODGATE_CONFIG_FILE")
        if config_file:
            if not Path(config_file).is_file():
                raise SettingsError(
                    f"MODGATE_CONFIG_FILE={config_file!r} does not exist; point it at a TOML "
                    "file or unset it."
                )
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "use sqlite:///path/to/file.db or postgresql+psycopg://user@host:5432/dbname"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.blob_store == "s3" and not self.s3_bucket:
            raise ValueError("MODGATE_BLOB_STORE=s3 needs MODGATE_S3_BUCKET (the bucket name)")
        if self.min_image_side > self.max_image_side:
            raise ValueError("MODGATE_MIN_IMAGE_SIDE must not exceed MODGATE_MAX_IMAGE_SIDE")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'modgate.db').resolve()}"

    @property
    def resolved_prometheus_dir(self) -> Path:
        return self.metrics.prometheus_dir or self.data_dir / "prometheus"

    @property
    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    @property
    def resolved_checkpoint_dir(self) -> Path:
        return self.audit.checkpoint_dir or self.data_dir / "audit"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation failures into one readable ``SettingsError``."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            location = "__".join(str(part) for part in error["loc"]).upper()
            name = f"MODGATE_{location}" if location else "settings"
            lines.append(f"{name}: {error['msg']} (got {error.get('input')!r})")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(lines)) from exc
