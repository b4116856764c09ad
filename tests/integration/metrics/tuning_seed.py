"""A history for threshold tuning against the seed policy, row by row as the pipeline and the
review lane write it, so what tuning recommends can be worked out by hand.

* Explicit (the seed blocks at 90, no review band): only blind checks. Drawn with π = 0.5:
  60 at 95 all confirmed, 60 at 85 of which 59 confirmed; drawn with π = 0.2: 40 at 75 half
  confirmed, 40 at 40 none. Precision from 76 to 85 is 238/240 by weight; at 75 it falls to
  338/440. A precision target of 0.95 lowers block from 90 to 76.
* Violence (the seed reviews from 70): routed reviews 40 at 90 all confirmed, 30 at 75 of
  which 20; blind checks with π = 0.2: 40 at 60 of which 36, 20 at 30 of which 1. Found
  weight 40 + 20 + 180 + 5 = 245; recall is 60/245 down to 61, 240/245 from 60 to 31 (lower
  bound 0.89 at the blind checks' effective size). A recall target of 0.8 lowers review from
  70 to 60.
* Gambling: 5 routed reviews, too few to tune.
* 200 decisions nobody checked (Violence at 10), and another tenant's checks, which never count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from metrics_seed import OTHER, TENANT, History, verdict
from sqlalchemy.orm import Session, sessionmaker

T0 = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)
SINCE, UNTIL = T0, T0 + dt.timedelta(days=1)
LABEL = {"Explicit": "Explicit Nudity", "Violence": "Graphic Violence", "Gambling": "Gambling"}


def _outcome(category: str, found: bool) -> dict[str, Any]:
    labels = {LABEL[category]: True} if found else {}
    return {"action": "block" if found else "allow", "labels": labels, "missed": []}


def _check(
    h: History,
    category: str,
    confidence: float,
    found: bool,
    when: dt.datetime,
    probability: float | None,
    tenant: str = TENANT,
) -> None:
    """One checked decision: a routed review (``probability`` None) or a blind check."""
    routed = probability is None
    flagged = {category: confidence} if routed or confidence >= 90 else None
    unflagged = None if flagged else {category: confidence}
    action = "review" if routed else ("block" if flagged else "allow")
    moderation_id = h.moderation(action, when, tenant=tenant, flagged=flagged, unflagged=unflagged)
    outcome = _outcome(category, found)
    said = verdict(outcome["action"], when, 20, outcome["labels"])
    if routed:
        h.review(moderation_id, [said], when, outcome=outcome)
        row = h.rows[moderation_id]  # what the review lane's verdict writes on the moderation
        row.verdict, row.final_action = {**outcome, "reviewers": 1}, outcome["action"]
    else:
        h.review(
            moderation_id,
            [said],
            when,
            kind="qa",
            queue="qa",
            outcome=outcome,
            probability=probability,
            flagged=(category,) if flagged else (),
        )


def seed_tuning(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        h = History(session)
        step = 0

        def when() -> dt.datetime:
            nonlocal step
            step += 1
            return T0 + dt.timedelta(seconds=30 * step)

        spec = [
            ("Explicit", 95.0, 60, 60, 0.5),
            ("Explicit", 85.0, 60, 59, 0.5),
            ("Explicit", 75.0, 40, 20, 0.2),
            ("Explicit", 40.0, 40, 0, 0.2),
            ("Violence", 90.0, 40, 40, None),
            ("Violence", 75.0, 30, 20, None),
            ("Violence", 60.0, 40, 36, 0.2),
            ("Violence", 30.0, 20, 1, 0.2),
            ("Gambling", 80.0, 5, 4, None),
        ]
        for category, confidence, count, found, probability in spec:
            for index in range(count):
                _check(h, category, confidence, index < found, when(), probability)
        for _ in range(200):
            h.moderation("allow", when(), unflagged={"Violence": 10.0})
        for _ in range(40):  # another tenant's: all wrong, and never read
            _check(h, "Explicit", 85.0, False, when(), 0.5, tenant=OTHER)
