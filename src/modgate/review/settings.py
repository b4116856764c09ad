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
    qa_queue: str = Field(
        default="qa",
        min_length=1,
        max_length=64,
        description="Queue of the blind quality checks of automatic decisions.",
    )
    qa_rates: dict[str, float] = Field(
        default_factory=dict,
        description="Share of automatic decisions drawn for a blind check, per confidence bin "
        "of their strongest category: keys are the bins' lower bounds in percent, plus 'none' "
        'for decisions without labels, e.g. {"none": 0.002, "0": 0.01, "50": 0.05, "90": 0.01}; '
        "empty: no checks.",
    )
    qa_category_rates: dict[str, float] = Field(
        default_factory=dict,
        description="Multiplier of the qa_rates share per top-level category (default 1).",
    )
    daily_reveal_cap: int = Field(
        default=300,
        ge=0,
        description="Unblurred items a reviewer may reveal per UTC day; 0 = no cap.",
    )

    @model_validator(mode="after")
    def _distinct_queues(self) -> ReviewSettings:
        if len({self.senior_queue, self.appeals_queue, self.qa_queue}) < 3:
            raise ValueError(
                "MODGATE_REVIEW__SENIOR_QUEUE, MODGATE_REVIEW__APPEALS_QUEUE and "
                "MODGATE_REVIEW__QA_QUEUE must name different queues: appeals, escalations "
                "and quality checks are kept apart"
            )
        for key, share in self.qa_rates.items():
            if not 0 <= share <= 1:
                raise ValueError(f"MODGATE_REVIEW__QA_RATES: {key!r} must be a share from 0 to 1")
        for key, factor in self.qa_category_rates.items():
            if factor < 0:
                raise ValueError(f"MODGATE_REVIEW__QA_CATEGORY_RATES: {key!r} must not be negative")
        for key in self.qa_rates:
            if key != "none":
                try:
                    bound = float(key)
                except ValueError:
                    bound = -1.0
                if not 0 <= bound <= 100:
                    raise ValueError(
                        f"MODGATE_REVIEW__QA_RATES: {key!r} is not a bin; use a lower bound "
                        "in percent (0-100) or 'none'"
                    )
        for queue, seconds in self.queue_sla_seconds.items():
            if seconds < 60:
                raise ValueError(f"MODGATE_REVIEW__QUEUE_SLA_SECONDS: {queue!r} needs at least 60")
        return self

    def strategy_for(self, queue: str) -> Strategy:
        return self.queue_strategies.get(queue, self.strategy)

    def sla_for(self, queue: str) -> int:
        return self.queue_sla_seconds.get(queue, self.default_sla_seconds)
