"""Examples from reviewed history: items whose verdict confirmed or added a label are positive,
items whose verdict said the label's flag was wrong are negative.

A verdict's ``labels`` maps each flagged label to whether the flag was right; ``missed`` names
labels the reviewer added. Originals that retention already deleted are skipped.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from modgate.errors import CustomLabelNotFoundException
from modgate.media.blobstore import BlobStore
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationRow
from modgate.review.tables import ReviewVerdictRow

MAX_VERDICTS = 20_000


@dataclass(frozen=True, slots=True)
class ReviewedExamples:
    """Items (PIL images or texts) a reviewer said carry the label, and ones they said do not."""

    positives: list[Any]
    negatives: list[Any]


def verdict_examples(
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    tenant: str,
    label: str,
    kind: str,
    since: dt.datetime | None = None,
) -> ReviewedExamples:
    """The tenant's reviewed items of ``kind`` about ``label``, judged after ``since``; an item
    judged more than once counts as its latest verdict says."""
    query = (
        select(ReviewVerdictRow.labels, ReviewVerdictRow.missed, MediaRow.id, MediaRow.blob_key)
        .join(ModerationRow, ModerationRow.id == ReviewVerdictRow.moderation_id)
        .join(MediaRow, MediaRow.id == ModerationRow.media_id)
        .where(
            ModerationRow.tenant == tenant,
            MediaRow.kind == kind,
            MediaRow.originals_deleted_at.is_(None),
        )
        .order_by(ReviewVerdictRow.created_at)
        .limit(MAX_VERDICTS)
    )
    if since is not None:
        query = query.where(ReviewVerdictRow.created_at > since)
    judged: dict[str, tuple[bool, str]] = {}
    with sessions() as session:
        for labels, missed, media_id, blob_key in session.execute(query):
            if label in (missed or []) or (labels or {}).get(label) is True:
                judged[media_id] = (True, blob_key)
            elif (labels or {}).get(label) is False:
                judged[media_id] = (False, blob_key)
    positives: list[Any] = []
    negatives: list[Any] = []
    for present, blob_key in judged.values():
        (positives if present else negatives).append(_item(blobs, blob_key, kind))
    return ReviewedExamples(positives, negatives)


def _item(blobs: BlobStore, blob_key: str, kind: str) -> Any:
    data = blobs.get_bytes(blob_key)
    if kind == "text":
        return data.decode("utf-8")
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def media_items(
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    tenant: str,
    media_ids: Sequence[str],
    kind: str,
) -> list[Any]:
    """The tenant's stored media of ``kind`` by id (pictures or texts), in order; an id that
    is another tenant's, of another kind, or whose original is gone, is not found."""
    wanted = list(dict.fromkeys(media_ids))
    with sessions() as session:
        keys = dict(
            session.execute(
                select(MediaRow.id, MediaRow.blob_key).where(
                    MediaRow.id.in_(wanted),
                    MediaRow.tenant == tenant,
                    MediaRow.kind == kind,
                    MediaRow.originals_deleted_at.is_(None),
                )
            ).all()
        )
    missing = [media_id for media_id in wanted if media_id not in keys]
    if missing:
        raise CustomLabelNotFoundException(
            f"No stored {kind} with id {missing[0][:60]!r} (of {len(missing)} not found)."
        )
    return [_item(blobs, keys[media_id], kind) for media_id in wanted]
