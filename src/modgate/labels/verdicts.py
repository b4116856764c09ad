"""Examples from reviewed history: items whose verdict confirmed or added a label are positive,
items whose verdict said the label's flag was wrong are negative.

A verdict's ``labels`` maps each flagged label to whether the flag was right; ``missed`` names
labels the reviewer added. Originals that retention already deleted are skipped.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

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
        data = blobs.get_bytes(blob_key)
        item = data.decode("utf-8") if kind == "text" else Image.open(io.BytesIO(data))
        (positives if present else negatives).append(item)
    return ReviewedExamples(positives, negatives)
