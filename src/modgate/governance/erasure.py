"""The personal fields an erasure request removes from an item's records; what stays is the
decision, its labels and the hashes that keep the record verifiable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from modgate.events.tables import EventRow
from modgate.moderation.tables import ModerationExtraRow, ModerationRow
from modgate.review.tables import AppealRow, ReviewVerdictRow

ERASED = "[erased]"
PERSONAL_KEYS = frozenset({"external_id", "client_request_token", "metadata", "context"})


def erase_personal_fields(session: Session, moderation_ids: list[str]) -> None:
    """Erase the personal fields of these moderations in the caller's transaction: external
    id, client request token, context but the surface, client metadata, appeal statements and
    appellants, reviewers' notes, and the same fields in their events' payloads."""
    if not moderation_ids:
        return
    for moderation in session.scalars(
        select(ModerationRow).where(ModerationRow.id.in_(moderation_ids))
    ):
        moderation.external_id = None
        moderation.client_request_token = None
        moderation.context = {"surface": moderation.surface} if moderation.surface else {}
        if moderation.verdict and moderation.verdict.get("note"):
            moderation.verdict = {**moderation.verdict, "note": ERASED}
    session.execute(
        update(ModerationExtraRow)
        .where(ModerationExtraRow.moderation_id.in_(moderation_ids))
        .values(client_metadata={})
    )
    session.execute(
        update(AppealRow)
        .where(AppealRow.moderation_id.in_(moderation_ids))
        .values(statement=ERASED, appellant=None)
    )
    session.execute(
        update(ReviewVerdictRow)
        .where(ReviewVerdictRow.moderation_id.in_(moderation_ids), ReviewVerdictRow.note != "")
        .values(note=ERASED)
    )
    for event in session.scalars(
        select(EventRow).where(EventRow.moderation_id.in_(moderation_ids))
    ):
        scrubbed = _scrub(event.payload)
        if scrubbed != event.payload:
            event.payload = scrubbed


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (None if k in PERSONAL_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value
