"""Custom labels: a training job of one version of a tenant's own label."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from modgate.openapi.schemas.base import Open


class CustomLabelJob(Open):
    """A custom-label training job: one version of a label, its state, and once trained its
    cross-validated metrics, model card and shadow evaluation against the live version."""

    id: str = Field(examples=["clv_5f0c8e2a9d6b4f1e8a7c3b2d1e0f9a8b"])
    label: str = Field(examples=["Landscape Photo"])
    version: int = Field(ge=1)
    status: Literal["training", "live", "rejected", "retired", "failed"]
    source: Literal["folders", "verdicts", "api"]
    metrics: dict[str, Any] = Field(
        description="Cross-validated precision, recall, accuracy, f1, brier and counts."
    )
    model_card: dict[str, Any]
    shadow: dict[str, Any] = Field(
        description="The live and candidate versions' figures on the examples the live one "
        "never saw, and whether the candidate was promoted (empty for a first version)."
    )
    error: str | None
    created_at: str
    finished_at: str | None
    project_version: str = Field(
        description="The id Rekognition's DetectModerationLabels takes as ProjectVersion."
    )
