"""A small history of decisions, reviews, quality checks, appeals and policy changes, written
row by row so every figure of the metrics summary can be worked out by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import new_id
from modgate.media.tables import MediaRow
from modgate.moderation.tables import ModerationRow
from modgate.policy.tables import PolicyActivationRow, PolicyVersionRow
from modgate.quality.record import record_check, record_verdict
from modgate.quality.tables import DecisionCategoryRow, QualityDrawRow
from modgate.review.tables import AppealRow, ReviewRow, ReviewTaskRow, ReviewVerdictRow

T0 = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC)
SINCE, UNTIL = T0, T0 + dt.timedelta(days=1)
NOW = T0 + dt.timedelta(hours=5)
TENANT, OTHER = "acme", "other"


def at(hours: float = 0.0, seconds: float = 0.0) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours, seconds=seconds)


class History:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: dict[str, ModerationRow] = {}
        self.flagged: dict[str, list[str]] = {}

    def moderation(
        self,
        action: str,
        created: dt.datetime,
        tenant: str = TENANT,
        surface: str = "feed",
        region: str | None = "DE",
        flagged: dict[str, float] | None = None,
        unflagged: dict[str, float] | None = None,
    ) -> str:
        media_id = new_id("med")
        self.session.add(
            MediaRow(
                id=media_id,
                sha256=new_id("sha")[:64],
                kind="image",
                format="JPEG",
                mime="image/jpeg",
                size_bytes=10,
                blob_key="blobs/none",
            )
        )
        self.session.flush()
        moderation_id = new_id("mod")
        self.flagged[moderation_id] = sorted(flagged or {})
        self.rows[moderation_id] = row = ModerationRow(
            id=moderation_id,
            tenant=tenant,
            media_id=media_id,
            sha256="0" * 64,
            kind="image",
            status="completed",
            surface=surface,
            context={"region": region} if region else {},
            labels=[],
            action=action,
            decision={"action": action, "matched": []},
            final_action=None if action == "review" else action,
            created_at=created,
            decided_at=created,
        )
        self.session.add(row)
        for category, confidence, is_flagged in [
            *((c, v, True) for c, v in (flagged or {}).items()),
            *((c, v, False) for c, v in (unflagged or {}).items()),
        ]:
            self.session.add(
                DecisionCategoryRow(
                    moderation_id=moderation_id,
                    category=category,
                    tenant=tenant,
                    surface=surface,
                    region=region,
                    confidence=confidence,
                    flagged=is_flagged,
                    created_at=created,
                )
            )
        self.session.flush()
        return moderation_id

    def review(
        self,
        moderation_id: str,
        verdicts: list[dict[str, Any]],
        opened: dt.datetime,
        kind: str = "first",
        queue: str = "nudity",
        outcome: dict[str, Any] | None = None,
        pending: int = 0,
        probability: float | None = None,
        flagged: tuple[str, ...] = (),
    ) -> str:
        """A review with one done task per verdict (``claimed``/``seconds`` each) and
        ``pending`` tasks not done yet."""
        review_id = new_id("rev")
        decided = outcome is not None
        self.session.add(
            ReviewRow(
                id=review_id,
                moderation_id=moderation_id,
                kind=kind,
                queue=queue,
                priority="normal",
                status="decided" if decided else "open",
                reviewers_needed=len(verdicts) + pending,
                strategy="majority",
                selected=[],
                outcome=outcome,
                created_at=opened,
                due_at=opened + dt.timedelta(hours=4),
                completed_at=max(
                    (v["claimed"] + dt.timedelta(seconds=v["seconds"]) for v in verdicts),
                    default=None,
                )
                if decided
                else None,
            )
        )
        for verdict in verdicts:
            task_id = new_id("tsk")
            given = verdict["claimed"] + dt.timedelta(seconds=verdict["seconds"])
            self.session.add(
                ReviewTaskRow(
                    id=task_id,
                    review_id=review_id,
                    moderation_id=moderation_id,
                    queue=queue,
                    status="done",
                    sort_key=opened,
                    available_at=given,
                    claimed_by="usr_x",
                    claimed_at=verdict["claimed"],
                    created_at=opened,
                    completed_at=given,
                )
            )
            verdict_id = new_id("vrd")
            self.session.add(
                ReviewVerdictRow(
                    id=verdict_id,
                    task_id=task_id,
                    review_id=review_id,
                    moderation_id=moderation_id,
                    reviewer_id=new_id("usr"),
                    action=verdict["action"],
                    labels=verdict.get("labels", {}),
                    missed=verdict.get("missed", []),
                    created_at=given,
                )
            )
            # What the review lane writes with each verdict (modgate.review.decide).
            record_verdict(
                self.session,
                self.rows[moderation_id],
                verdict_id=verdict_id,
                review_id=review_id,
                queue=queue,
                kind=kind,
                action=verdict["action"],
                labels=verdict.get("labels", {}),
                missed=verdict.get("missed", []),
                claimed_at=verdict["claimed"],
                given_at=given,
            )
        for _ in range(pending):
            self.session.add(
                ReviewTaskRow(
                    id=new_id("tsk"),
                    review_id=review_id,
                    moderation_id=moderation_id,
                    queue=queue,
                    status="pending",
                    sort_key=opened,
                    available_at=opened,
                    created_at=opened,
                )
            )
        if probability is not None:
            self.session.add(
                QualityDrawRow(
                    moderation_id=moderation_id,
                    review_id=review_id,
                    tenant=self.rows[moderation_id].tenant,
                    action="auto",
                    category=flagged[0] if flagged else "none",
                    bin="50",
                    probability=probability,
                    flagged=list(flagged),
                    created_at=opened,
                )
            )
        if outcome is not None:  # and with each decided check
            moderation = self.rows[moderation_id]
            if probability is None:
                record_check(
                    self.session, moderation, outcome=outcome, flagged=self.flagged[moderation_id]
                )
            else:
                stratum = f"{flagged[0] if flagged else 'none'}/50"
                record_check(
                    self.session,
                    moderation,
                    outcome=outcome,
                    flagged=flagged,
                    probability=probability,
                    stratum=stratum,
                )
        self.session.flush()
        return review_id

    def appeal(self, moderation_id: str, outcome: str | None, resolved: dt.datetime | None) -> None:
        self.session.add(
            AppealRow(
                id=new_id("apl"),
                moderation_id=moderation_id,
                review_id=new_id("rev"),
                statement="It is art.",
                status="resolved" if outcome else "open",
                outcome=outcome,
                created_at=resolved or at(1),
                resolved_at=resolved,
            )
        )

    def activation(self, surface: str, when: dt.datetime) -> None:
        version = new_id("v")
        self.session.add(
            PolicyVersionRow(version=version, name="seed", source="", author="ops", created_at=when)
        )
        self.session.flush()
        self.session.add(
            PolicyActivationRow(
                id=new_id("act"),
                surface=surface,
                version=version,
                actor="ops",
                activated_at=when,
                deactivated_at=when + dt.timedelta(minutes=1),
            )
        )


def verdict(
    action: str,
    claimed: dt.datetime,
    seconds: float,
    labels: dict[str, bool] | None = None,
    missed: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "action": action,
        "claimed": claimed,
        "seconds": seconds,
        "labels": labels or {},
        "missed": missed or [],
    }


def seed(sessions: sessionmaker[Session]) -> None:
    """The history the summary test works out by hand (see its comments)."""
    with sessions() as session, session.begin():
        h = History(session)
        # Eleven decisions of acme in the day: 4 allow, 2 block, 4 review, 1 annotate.
        m1 = h.moderation("allow", at(0.5), unflagged={"Violence": 30.0})
        m2 = h.moderation("allow", at(0.6))
        m3 = h.moderation("allow", at(0.7))
        m4 = h.moderation("allow", at(0.8), surface="chat", region="FR")
        m5 = h.moderation("block", at(0.9), flagged={"Explicit": 95.0})
        m6 = h.moderation("block", at(1.0), flagged={"Violence": 97.0})
        m7 = h.moderation("review", at(1.1), flagged={"Explicit": 70.0})
        m8 = h.moderation("review", at(1.2), flagged={"Explicit": 65.0})
        m9 = h.moderation("review", at(1.3), flagged={"Violence": 60.0})
        m10 = h.moderation("review", at(1.4), flagged={"Explicit": 75.0})
        h.moderation("annotate", at(1.5))
        # Outside the day, and another tenant's: never counted.
        h.moderation("allow", at(-1))
        noise = h.moderation("block", at(2), tenant=OTHER, flagged={"Explicit": 99.0})
        h.review(noise, [], at(2), pending=3)
        h.appeal(noise, "overturned", at(3))

        # Routed reviews (weight 1). m7: one reviewer agrees with the flag, 30 s.
        h.review(
            m7,
            [verdict("block", at(2), 30, {"Explicit Nudity": True})],
            at(1.1),
            outcome={"action": "block", "labels": {"Explicit Nudity": True}, "missed": []},
        )
        # m8: two reviewers (60 s, 90 s) both reject the flag: they agree with each other.
        h.review(
            m8,
            [
                verdict("allow", at(2), 60, {"Explicit Nudity": False}),
                verdict("allow", at(2.1), 90, {"Explicit Nudity": False}),
            ],
            at(1.2),
            outcome={"action": "allow", "labels": {"Explicit Nudity": False}, "missed": []},
        )
        # m9: confirms the flag, names a missed label (120 s), in the violence queue.
        h.review(
            m9,
            [verdict("block", at(2.2), 120, {"Graphic Violence": True}, ["Weapons"])],
            at(1.3),
            queue="violence",
            outcome={
                "action": "block",
                "labels": {"Graphic Violence": True},
                "missed": ["Weapons"],
            },
        )
        # m10: two slots, nobody has taken them, queued at 3 h.
        h.review(m10, [], at(3), pending=2)

        # Blind quality checks. m5 (block, drawn with 0.5): the reviewer blocks too (40 s).
        h.review(
            m5,
            [verdict("block", at(2.3), 40, missed=["Explicit Nudity"])],
            at(0.9),
            kind="qa",
            queue="qa",
            outcome={"action": "block", "labels": {}, "missed": ["Explicit Nudity"]},
            probability=0.5,
            flagged=("Explicit",),
        )
        # m1 (allow, drawn with 0.25): the reviewer finds violence and blocks (20 s).
        h.review(
            m1,
            [verdict("block", at(2.4), 20, missed=["Graphic Violence"])],
            at(0.5),
            kind="qa",
            queue="qa",
            outcome={"action": "block", "labels": {}, "missed": ["Graphic Violence"]},
            probability=0.25,
        )
        # m2 (allow, drawn with 0.25): nothing there (10 s).
        h.review(
            m2,
            [verdict("allow", at(2.5), 10)],
            at(0.6),
            kind="qa",
            queue="qa",
            outcome={"action": "allow", "labels": {}, "missed": []},
            probability=0.25,
        )

        # Appeals: one overturned and one upheld in the day, one still open.
        h.appeal(m6, "overturned", at(4))
        h.appeal(m4, "upheld", at(4.5))
        h.appeal(m3, None, None)

        # Policy changes: two in the day, one the day before.
        h.activation("feed", at(1))
        h.activation("chat", at(2))
        h.activation("feed", at(-5))
