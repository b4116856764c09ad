"""Where a moderation stands in human review: its review tasks, the verdicts submitted, the
past reviews and its appeal."""

from __future__ import annotations

from pydantic import Field

from modgate.openapi.schemas.base import Action, Open


class Appeal(Open):
    id: str = Field(examples=["apl_3638432ee99143e38f0805cdc91482c7"])
    moderation_id: str
    status: str = Field(examples=["open", "resolved"])
    statement: str
    appellant: str | None
    previous_action: Action | None
    outcome: str | None
    final_action: Action | None
    created_at: str
    resolved_at: str | None


class ReviewTask(Open):
    id: str
    status: str
    claimed: bool


class ReviewVerdicts(Open):
    submitted: int
    needed: int
    actions: dict[str, int] = Field(description="Shown once the review is finished.")


class ReviewEntry(Open):
    id: str
    kind: str
    queue: str
    status: str
    created_at: str
    completed_at: str | None


class ReviewState(Open):
    """Where the moderation is in human review."""

    status: str = Field(examples=["queued", "in_review", "completed"])
    kind: str
    queue: str
    priority: int
    due_at: str
    tasks: list[ReviewTask]
    verdicts: ReviewVerdicts
    reviews: list[ReviewEntry]
    appeal: Appeal | None
