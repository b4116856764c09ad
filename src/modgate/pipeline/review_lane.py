"""What the pipeline needs of human review, declared where the pipeline uses it.

When the policy says ``review``, the decision's transaction opens a review (and an automatic
decision may be drawn for a blind quality check); when a failed or
cancelled job is retried, the open reviews of its item are withdrawn; and a moderation read
through the API shows its review state. The review lane (``modgate.review.lane.SqlReviewLane``)
implements this by its shape and is handed to the pipeline by the composition root, so the
pipeline never imports review/ and review/ never imports the pipeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from modgate.moderation.models import StoredModeration
from modgate.quality import CategoryFlag


@runtime_checkable
class ReviewLane(Protocol):
    """Human review, called inside the caller's session and transaction."""

    def open(self, session: Session, moderation: StoredModeration) -> str:
        """Queue ``moderation`` (decided ``review``) as its decision's route says; the id of
        its open first-pass review (the one it had already, if any)."""
        ...

    def sample(
        self, session: Session, moderation: StoredModeration, flags: Sequence[CategoryFlag]
    ) -> str | None:
        """Maybe draw ``moderation`` (decided automatically; its categories ``flags``) for a
        blind quality check that leaves its decision as it is; the check's review id, or None
        when it was not drawn."""
        ...

    def withdraw(self, session: Session, moderation_id: str, now: dt.datetime) -> int:
        """Withdraw the open reviews of an item about to be decided again; how many there
        were."""
        ...

    def state(self, session: Session, moderation_id: str) -> dict[str, Any] | None:
        """The review state shown on a moderation (its public JSON's ``review``), or None when
        it never went to review."""
        ...
