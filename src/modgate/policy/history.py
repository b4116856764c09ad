"""Stored moderations read back as backtest history: typed detections, context, verdicts.

``iter_history`` reads the ``moderations`` table in batches, oldest first, and parses each row's
stored labels with the Rekognition codec, so images, animations and videos come back as the
same typed ``Detections`` the pipeline decided on (less content types, which no rule reads:
skipping them keeps a replay of millions of rows fast). With ``with_text``, each row's stored
detections are joined for their text, so text rules replay too. This is the one module of the
policy package that reads the moderation tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import table_of
from modgate.detection.tables import DetectionRow
from modgate.errors import InvalidParameterException
from modgate.moderation.tables import ModerationRow
from modgate.policy.backtest import HistoryItem
from modgate.taxonomy.rekognition_json import moderation_detections

_moderations = table_of(ModerationRow)


def window_bound(text: str | None, name: str) -> dt.datetime | None:
    """A ``since``/``until`` of a replay: an ISO 8601 date or time (UTC when it names no
    offset), None when not given; ``InvalidParameterException`` naming ``name`` otherwise."""
    if text is None or not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidParameterException(f"{name} {text!r} is not an ISO 8601 date") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


_detections = table_of(DetectionRow)


def iter_history(
    sessions: sessionmaker[Session],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    surface: str | None = None,
    batch: int = 5000,
    with_text: bool = False,
) -> Iterator[HistoryItem]:
    """Stored moderations with detections, oldest first, read in batches. ``with_text``: also
    read the text their detection found (for policies with text rules)."""
    query = _query(with_text)
    table = _moderations
    if since is not None:
        query = query.where(table.c.created_at >= since)
    if until is not None:
        query = query.where(table.c.created_at < until)
    if surface is not None:
        query = query.where(table.c.surface == surface)
    query = query.order_by(table.c.created_at, table.c.id)
    with sessions() as session:
        # A long read: on SQLite, take no write lock so live traffic keeps flowing meanwhile.
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        result = session.execute(query.execution_options(yield_per=batch))
        for row in result:
            context = dict(row.context or {})
            if row.surface and "surface" not in context:
                context["surface"] = row.surface
            stored = row.stored if with_text else None
            yield HistoryItem(
                row.id,
                moderation_detections(row.kind, row.labels, None, row.model_version, stored),
                context,
                row.sha256,
                row.action,
                row.rule_id,
                row.policy_version,
                row.verdict,
            )


def _query(with_text: bool) -> Select[tuple[object, ...]]:
    table = _moderations
    columns = [
        table.c.id,
        table.c.kind,
        table.c.labels,
        table.c.model_version,
        table.c.context,
        table.c.action,
        table.c.rule_id,
        table.c.policy_version,
        table.c.verdict,
        table.c.surface,
        table.c.sha256,
    ]
    if not with_text:
        return select(*columns).where(table.c.labels.is_not(None))
    return (
        select(*columns, _detections.c.result.label("stored"))
        .select_from(table)
        .outerjoin(
            _detections,
            (_detections.c.sha256 == table.c.sha256)
            & (_detections.c.model_version == table.c.model_version),
        )
        .where(table.c.labels.is_not(None))
    )
