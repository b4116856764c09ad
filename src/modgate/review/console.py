"""What the reviewer console shows and records: the task page's data (only the labels that
triggered review, the rule and policy version, flagged video moments), reveals of unblurred
media under a daily cap, and a reviewer's own figures.

A reveal is the only way to clear pixels: until the reviewer has revealed a task (a logged
``preview.revealed`` within the cap), ``task_media`` says the task is not revealed and every
media URL of the console answers the blurred rendition (``modgate.web.routes``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from modgate import audit
from modgate.db.base import new_id
from modgate.errors import (
    ResourceNotFoundException,
    RevealLimitReachedException,
)
from modgate.events import PreviewRevealed, record
from modgate.media.tables import MediaRow
from modgate.moderation.models import ModerationExtra
from modgate.moderation.tables import ModerationRow
from modgate.review.lane import appeal_public
from modgate.review.models import Reviewer
from modgate.review.service import ReviewService
from modgate.review.store import owned_task
from modgate.review.tables import (
    AppealRow,
    RevealRow,
    ReviewDisagreementRow,
    ReviewRow,
    ReviewTaskRow,
    ReviewVerdictRow,
)
from modgate.review.text_view import text_views
from modgate.taxonomy import taxonomy_v7


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def flagged_segments(
    selected: list[dict[str, Any]], labels: list[Any] | None
) -> list[dict[str, Any]]:
    """Moments to jump to, in ms: from the matches' ``timestamps`` and from stored video labels
    (``Timestamp`` with optional ``StartTimestampMillis``/``EndTimestampMillis``, the label either
    nested in ``ModerationLabel`` or flat). Only labels that triggered review, or their children."""
    taxonomy = taxonomy_v7()
    wanted = {str(m.get("label")) for m in selected}

    def relevant(name: str) -> bool:
        if name in wanted:
            return True
        return name in taxonomy and any(
            w in taxonomy and taxonomy.is_within(name, w) for w in wanted
        )

    found: dict[tuple[str, int], dict[str, Any]] = {}
    for match in selected:
        for stamp in match.get("timestamps") or []:
            start = _number(stamp.get("start") if isinstance(stamp, dict) else stamp)
            end = _number(stamp.get("end")) if isinstance(stamp, dict) else None
            if start is not None:
                found[(str(match["label"]), int(start))] = {
                    "label": str(match["label"]),
                    "start_ms": int(start),
                    "end_ms": int(end) if end is not None else int(start),
                    "confidence": _number(match.get("confidence")),
                }
    for entry in labels or []:
        if not isinstance(entry, dict):
            continue
        nested = entry.get("ModerationLabel")
        inner = nested if isinstance(nested, dict) else entry
        name = inner.get("Name")
        start = _number(entry.get("StartTimestampMillis", entry.get("Timestamp")))
        if not name or start is None or not relevant(str(name)):
            continue
        end = _number(entry.get("EndTimestampMillis"))
        key = (str(name), int(start))
        end_ms = int(end) if end is not None else int(start)
        if key in found:  # the same moment from the decision: keep its span's end
            found[key]["end_ms"] = max(found[key]["end_ms"], end_ms)
            continue
        found[key] = {
            "label": str(name),
            "start_ms": int(start),
            "end_ms": end_ms,
            "confidence": _number(inner.get("Confidence")),
        }
    return sorted(found.values(), key=lambda s: (s["start_ms"], s["label"]))


def _day_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def reveals_today(session: Any, user_id: str, now: dt.datetime) -> int:
    return int(
        session.scalar(
            select(func.count(func.distinct(RevealRow.moderation_id))).where(
                RevealRow.user_id == user_id, RevealRow.created_at >= _day_start(now)
            )
        )
        or 0
    )


def task_view(service: ReviewService, task_id: str, reviewer: Reviewer) -> dict[str, Any]:
    """Everything the review page shows. Peers' verdicts are never included for a first pass."""
    now = service.clock()
    with service.sessions() as session:
        task = owned_task(session, task_id, reviewer.id, lock=False)
        review = session.get(ReviewRow, task.review_id)
        moderation = service.moderations.get(session, task.moderation_id)
        if review is None or moderation is None:
            raise ResourceNotFoundException("The item of this task is missing.")
        media = session.get(MediaRow, moderation.media_id)
        earlier: list[dict[str, Any]] = []
        if review.kind in ("escalation", "appeal"):
            rows = session.scalars(
                select(ReviewVerdictRow)
                .where(
                    ReviewVerdictRow.moderation_id == moderation.id,
                    ReviewVerdictRow.review_id != review.id,
                )
                .order_by(ReviewVerdictRow.created_at)
            )
            earlier = [
                {
                    "reviewer": f"Reviewer {i + 1}",
                    "action": v.action,
                    "labels": v.labels,
                    "missed": v.missed,
                    "note": v.note,
                }
                for i, v in enumerate(rows)
            ]
        appeal = session.get(AppealRow, review.appeal_id) if review.appeal_id else None
        revealed = _revealed(session, reviewer.id, task.id)
        extra = service.moderations.extra(session, moderation.id)
        today = reveals_today(session, reviewer.id, now)
    # A quality check is blind: the reviewer judges the item without the machine's decision.
    blind = review.kind == "qa"
    decision = {} if blind else moderation.decision or {}
    thumbnails = (extra.thumbnails if extra else None) or {}
    return {
        "task": {
            "id": task.id,
            "queue": task.queue,
            "lease_expires_at": task.available_at.isoformat(),
            "lease_seconds_left": max(0, int((task.available_at - now).total_seconds())),
        },
        "review": {
            "id": review.id,
            "kind": review.kind,
            "priority": review.priority,
            "due_at": review.due_at.isoformat(),
            "rule": review.rule_id,
            "policy_version": review.policy_version,
            "policy": decision.get("policy"),
            "reviewers": review.reviewers_needed,
        },
        "labels": [
            {
                "label": str(m.get("label")),
                # A bank match has a distance, not a confidence.
                "confidence": None if m.get("bank") else _number(m.get("confidence")),
                "distance": m.get("distance") if m.get("bank") else None,
                "rule": m.get("rule"),
                "action": m.get("action"),
            }
            for m in review.selected
        ],
        "reasons": list(decision.get("reasons") or []),
        "bank_matches": list(decision.get("bank_matches") or []),
        "moderation": {
            "id": moderation.id,
            "kind": moderation.kind,
            "action": None if blind else moderation.action,
            "final_action": None if blind else moderation.final_action,
            "surface": moderation.surface,
            "tenant": moderation.tenant,
        },
        "media": {
            "id": media.id if media else None,
            "kind": media.kind if media else None,
            "mime": media.mime if media else None,
            "duration_seconds": media.duration_seconds if media else None,
            "has_preview": bool(media and media.blurred_key),
        },
        "segments": [
            segment | {"thumbnail": str(segment["start_ms"]) in thumbnails}
            for segment in flagged_segments(list(review.selected), moderation.labels)
        ]
        if moderation.kind == "video"
        else [],
        "texts": text_views(extra.text_findings if extra else None),
        "stream": stream_moment(extra),
        "earlier_verdicts": earlier,
        "appeal": appeal_public(appeal) if appeal else None,
        "revealed": revealed is not None,
        "reveals_today": today,
        "reveal_cap": service.settings.daily_reveal_cap,
    }


def reveal(service: ReviewService, task_id: str, reviewer: Reviewer) -> dict[str, Any]:
    """Log that ``reviewer`` looks at the unblurred item of ``task_id``, within the daily cap.

    Looking again at an item already revealed today does not count twice; it is logged anyway.
    """
    now = service.clock()
    cap = service.settings.daily_reveal_cap
    with service.transaction(immediate=True) as session:
        task = owned_task(session, task_id, reviewer.id, lock=False, now=now)
        already = session.scalar(
            select(RevealRow.id)
            .where(
                RevealRow.user_id == reviewer.id,
                RevealRow.moderation_id == task.moderation_id,
                RevealRow.created_at >= _day_start(now),
            )
            .limit(1)
        )
        count = reveals_today(session, reviewer.id, now)
        if already is None and cap and count >= cap:
            raise RevealLimitReachedException(
                f"You revealed {count} items today, the daily limit; it resets at midnight UTC."
            )
        session.add(
            RevealRow(
                id=new_id("rvl"),
                user_id=reviewer.id,
                moderation_id=task.moderation_id,
                task_id=task.id,
                created_at=now,
            )
        )
        record(
            session,
            PreviewRevealed(
                moderation_id=task.moderation_id,
                actor=audit.user_actor(reviewer.id),
                task_id=task.id,
                review_id=task.review_id,
            ),
        )
        return {"revealed_today": count + (0 if already else 1), "cap": cap}


@dataclass(frozen=True, slots=True)
class TaskMedia:
    """The media of a task as its reviewer may get it: ``revealed`` says whether they revealed
    this task (only then clear pixels); ``thumbnails`` are the flagged moments' blob keys."""

    media: MediaRow
    revealed: bool
    thumbnails: dict[str, str]


def task_media(service: ReviewService, task_id: str, reviewer: Reviewer) -> TaskMedia:
    with service.sessions() as session:
        task = owned_task(session, task_id, reviewer.id, lock=False, now=service.clock())
        moderation = service.moderations.get(session, task.moderation_id)
        media = session.get(MediaRow, moderation.media_id) if moderation else None
        if media is None:
            raise ResourceNotFoundException("This item's media is missing.")
        extra = service.moderations.extra(session, task.moderation_id)
        return TaskMedia(
            media,
            _revealed(session, reviewer.id, task.id),
            dict((extra.thumbnails if extra else None) or {}),
        )


def _revealed(session: Any, user_id: str, task_id: str) -> bool:
    """Whether ``user_id`` revealed task ``task_id``: a reveal is logged only within the cap."""
    return (
        session.scalar(
            select(RevealRow.id)
            .where(RevealRow.user_id == user_id, RevealRow.task_id == task_id)
            .limit(1)
        )
        is not None
    )


def my_stats(service: ReviewService, reviewer: Reviewer) -> dict[str, Any]:
    now = service.clock()
    day = _day_start(now)
    with service.sessions() as session:
        rows = list(
            session.execute(
                select(
                    ReviewVerdictRow.review_id,
                    ReviewVerdictRow.action,
                    ReviewVerdictRow.seconds_spent,
                    ReviewVerdictRow.created_at,
                    ReviewVerdictRow.moderation_id,
                ).where(ReviewVerdictRow.reviewer_id == reviewer.id)
            )
        )
        finals = (
            dict(
                session.execute(
                    select(ModerationRow.id, ModerationRow.final_action).where(
                        ModerationRow.id.in_({r.moderation_id for r in rows})
                    )
                ).all()
            )
            if rows
            else {}
        )
        split = (
            session.scalar(
                select(func.count())
                .select_from(ReviewDisagreementRow)
                .where(
                    ReviewDisagreementRow.category == "action",
                    ReviewDisagreementRow.disagreed.is_(True),
                    ReviewDisagreementRow.review_id.in_({r.review_id for r in rows}),
                )
            )
            if rows
            else 0
        )
        in_progress = (
            session.scalar(
                select(func.count())
                .select_from(ReviewTaskRow)
                .where(
                    ReviewTaskRow.claimed_by == reviewer.id,
                    ReviewTaskRow.status == "pending",
                    ReviewTaskRow.available_at > now,
                )
            )
            or 0
        )
        revealed = reveals_today(session, reviewer.id, now)
    decided = [r for r in rows if finals.get(r.moderation_id)]
    agreed = sum(1 for r in decided if finals[r.moderation_id] == r.action)
    return {
        "verdicts_total": len(rows),
        "verdicts_today": sum(1 for r in rows if r.created_at >= day),
        "average_seconds": (
            round(sum(r.seconds_spent for r in rows) / len(rows), 1) if rows else None
        ),
        "agreement_with_final": round(100 * agreed / len(decided), 1) if decided else None,
        "split_decisions": int(split or 0),
        "in_progress": int(in_progress),
        "reveals_today": revealed,
        "reveal_cap": service.settings.daily_reveal_cap,
    }


STREAM_CLIENT = "streams"  # the client name live streams submit their flagged moments as


def stream_moment(extra: ModerationExtra | None) -> dict[str, Any] | None:
    """The live stream and the time a flagged moment was taken at (``modgate.streams``
    submits each moment the policy sends to review as an image, with both in its metadata);
    None for any other item."""
    if extra is None or extra.client != STREAM_CLIENT:
        return None
    stream_id, at_ms = (
        extra.client_metadata.get("stream_id"),
        extra.client_metadata.get("stream_ms"),
    )
    if not isinstance(stream_id, str) or not isinstance(at_ms, int):
        return None
    return {"id": stream_id, "at_ms": at_ms}
