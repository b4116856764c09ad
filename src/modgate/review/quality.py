"""How good the automation is, measured by reviewers: per label, how often a flag that reached
review was confirmed (precision of the flags in the review band), how often reviewers named it as
missed, and how often reviewers disagreed about it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from modgate.review.tables import ReviewDisagreementRow, ReviewVerdictRow


def label_quality(session: Session, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    verdicts = select(ReviewVerdictRow.labels, ReviewVerdictRow.missed)
    splits = select(ReviewDisagreementRow.category, ReviewDisagreementRow.disagreed)
    if since is not None:
        verdicts = verdicts.where(ReviewVerdictRow.created_at >= since)
        splits = splits.where(ReviewDisagreementRow.created_at >= since)
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for labels, missed in session.execute(verdicts):
        for name, right in (labels or {}).items():
            table[name]["confirmed" if right else "rejected"] += 1
        for name in missed or []:
            table[name]["missed"] += 1
    for category, disagreed in session.execute(splits):
        table[category]["consolidated"] += 1
        table[category]["disagreed"] += int(bool(disagreed))
    rows = []
    for name in sorted(table):
        counts = table[name]
        judged = counts["confirmed"] + counts["rejected"]
        rows.append(
            {
                "label": name,
                "confirmed": counts["confirmed"],
                "rejected": counts["rejected"],
                "missed": counts["missed"],
                "flag_precision": round(counts["confirmed"] / judged, 3) if judged else None,
                "disagreement_rate": (
                    round(counts["disagreed"] / counts["consolidated"], 3)
                    if counts["consolidated"]
                    else None
                ),
            }
        )
    return rows
