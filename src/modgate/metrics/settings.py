"""Settings of the Prometheus scrape (the ``metrics`` section; env ``MODGATE_METRICS__*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

PrometheusAccess = Literal["key", "open", "port", "off"]


class MetricsSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``metrics``)."""

    prometheus: PrometheusAccess = Field(
        default="key",
        description="Who may scrape /metrics: 'key' (an API key with the scope metrics:read, "
        "as every /v1 route), 'open' (anyone who reaches the API), 'port' (not on the API: "
        "`modgate serve` serves it on PROMETHEUS_HOST:PROMETHEUS_PORT), 'off'.",
    )
    prometheus_host: str = Field(
        default="127.0.0.1", description="Address of the separate scrape port ('port')."
    )
    prometheus_port: int = Field(
        default=9464, ge=1, le=65535, description="Port of the separate scrape port ('port')."
    )
    prometheus_dir: Path | None = Field(
        default=None,
        description="Folder where every process of the deployment (API, embedded and Celery "
        "workers) writes its samples; unset means DATA_DIR/prometheus. "
        "PROMETHEUS_MULTIPROC_DIR, when set, wins.",
    )
