"""Stored moderations to decide again for viewers, written through the real stores: a media
row, the moderation (queued), and, once decided, its detections and the decision the active
policy made in the upload's context, as the pipeline's writer stores them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import new_id, transaction
from modgate.detection.store import SqlDetectionStore
from modgate.media.tables import MediaRow
from modgate.moderation.models import NewModeration
from modgate.moderation.store import SqlModerationStore
from modgate.pipeline.decide import decide
from modgate.policy import Context, Policy
from modgate.policy.cases import expand_labels
from modgate.taxonomy.detections import Detections, ImageDetections, TextLine, Timeline
from modgate.taxonomy.rekognition_json import moderation_columns

UPLOADED = dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC)
MODEL_VERSION = "7.0+fusion1:seeded-1"


def seed(
    sessions: sessionmaker[Session],
    policy: Policy | None,
    labels: Mapping[str, float],
    **options: Any,
) -> str:
    """``seed_in`` in a transaction of its own."""
    with transaction(sessions) as session:
        return seed_in(session, policy, labels, **options)


def seed_in(
    session: Session,
    policy: Policy | None,
    labels: Mapping[str, float],
    *,
    tenant: str = "default",
    context: Mapping[str, Any] | None = None,
    text: str | None = None,
    decided: bool = True,
    verdict: str | None = None,
    sha256: str | None = None,
    timeline: Timeline | None = None,
) -> str:
    """A moderation of an image with ``labels`` (shorthand: ancestors added), or of a video
    with ``timeline``, decided by ``policy`` in the upload's ``context`` unless ``decided`` is
    False, with a reviewers' final ``verdict`` when given; its id."""
    moderations, detections = SqlModerationStore(), SqlDetectionStore()
    moderation_id, media_id = new_id("mod"), new_id("med")
    sha256 = sha256 or new_id("sha")[:64]
    found: Detections = timeline or ImageDetections(
        expand_labels(labels),
        text=tuple(TextLine(line) for line in (text or "").split("\n") if line),
        model_version=MODEL_VERSION,
    )
    kind = "video" if timeline is not None else "image"
    upload = dict(context or {"surface": "kids"})
    session.add(
        MediaRow(
            id=media_id,
            tenant=tenant,
            sha256=sha256,
            kind=kind,
            format="PNG" if kind == "image" else "MP4",
            mime="image/png" if kind == "image" else "video/mp4",
            size_bytes=1,
            blob_key=f"blobs/{sha256}",
            created_at=UPLOADED,
        )
    )
    session.flush()
    moderations.insert(
        session,
        NewModeration(moderation_id, media_id, sha256, kind, UPLOADED, upload, tenant=tenant),
    )
    if not decided:
        return moderation_id
    ruling = decide(
        policy,
        (),
        found,
        Context.from_dict(upload),
        surface=upload.get("surface"),
        moderation_id=moderation_id,
        clock=lambda: UPLOADED,
    )
    stored_labels, content_types = moderation_columns(found)
    detections.add(session, sha256, found)
    moderations.decide(
        session,
        moderation_id,
        {
            "status": "completed",
            "action": ruling.action,
            "rule_id": ruling.rule,
            "policy_version": ruling.policy_version,
            "decision": ruling.to_dict(),
            "decided_at": UPLOADED,
            "updated_at": UPLOADED,
            "final_action": None if ruling.action == "review" else ruling.action,
            "labels": stored_labels,
            "content_types": content_types,
            "model_version": found.model_version,
        },
    )
    if verdict is not None:
        moderations.record_verdict(
            session, moderation_id, {"action": verdict, "reviewers": 1}, verdict, UPLOADED
        )
    return moderation_id
