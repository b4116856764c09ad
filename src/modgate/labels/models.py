"""The public JSON of custom labels and their versions (CLI lines and API answers alike)."""

from __future__ import annotations

from typing import Any

from modgate.detection.custom.store import CustomLabel, LabelVersion


def label_public(label: CustomLabel) -> dict[str, Any]:
    return {
        "name": label.name,
        "kind": label.kind,
        "parent": label.parent,
        "backbone": label.backbone,
        "live_version": label.live_version,
    }


def version_public(version: LabelVersion) -> dict[str, Any]:
    """A training job: its state, and once trained its metrics, model card and shadow result.
    ``project_version`` is the id Rekognition's ``ProjectVersion`` parameter takes."""
    return {
        "id": version.id,
        "label": version.label,
        "version": version.version,
        "status": version.status,
        "source": version.source,
        "metrics": version.metrics,
        "model_card": version.card,
        "shadow": version.shadow,
        "error": version.error or None,
        "created_at": version.created_at.isoformat(),
        "finished_at": version.finished_at.isoformat() if version.finished_at else None,
        "project_version": project_version_arn(version),
    }


def project_version_arn(version: LabelVersion) -> str:
    """An ARN-like id of a version, as Rekognition names a Custom Labels model version."""
    return (
        f"arn:modgate:rekognition:local:{version.tenant}:project/{version.label}"
        f"/version/{version.version}/{version.id}"
    )
