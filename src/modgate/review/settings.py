"""Settings of the review lane (the ``review`` section; env ``MODGATE_REVIEW__*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

Strategy = Literal["majority", "any_block", "unanimous"]


class ReviewSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``review``)."""

    lease_seconds: int = Field(default=300, ge=10, description="How long a claim lasts.")
    strategy: Strategy = Field(
        default="majority", description="How several reviewers' verdicts become one."
    )
    queue_strategies: dict[str, Strategy] = Field(
        default_factory=dict, description="Consolidation strategy per queue, overriding strategy."
    )
    default_sla_seconds: int = Field(
        default=4 * 3600, ge=60, description="Target time from queueing to decision."
    )
    queue_sla_seconds: dict[str, int] = Field(
        default_factory=dict, description="SLA target per queue, overriding default_sla_seconds."
    )
    priority_step_seconds: int = Field(
        default=3600,
        ge=0,
        description="Head start per priority step (low < normal < high < urgent) when ordering.",
    )
    senior_queue: str = Field(
        default="senior", min_length=1, max_length=64, description="Queue of escalations."
    )
    appeals_queue: str = Field(
        default="appeals", min_length=1, max_length=64, description="Queue of appeals."
    )
    daily_reveal_cap: int = Field(
        default=300,
        ge=0,
        description="Unblurred items a reviewer may reveal per UTC day; 0 = no cap.",
    )

    @model_validator(mode="after")
    def _distinct_queues(self) -> ReviewSettings:
        if self.senior_queue == self.appeals_queue:
            raise ValueError(
                "MODGATE_REVIEW__SENIOR_QUEUE and MODGATE_REVIEW__APPEALS_QUEUE must "
                "name different queues: appeals are kept apart from escalations"
            )
        for queue, seconds in self.queue_sla_seconds.items():
            if seconds < 60:
                raise ValueError(f"MODGATE_REVIEW__QUEUE_SLA_SECONDS: {queue!r} needs at least 60")
        return self

    def strategy_for(self, queue: str) -> Strategy:
        return self.queue_strategies.get(queue, self.strategy)

    def sla_for(self, queue: str) -> int:
        return self.queue_sla_seconds.get(queue, self.default_sla_seconds)
