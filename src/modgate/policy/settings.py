"""Settings of policy handling (the ``policy`` section; env ``MODGATE_POLICY__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PolicySettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``policy``)."""

    default_surface: str = Field(
        default="default",
        min_length=1,
        description="Surface whose active policy decides moderations that name no surface.",
    )
    shadow_enabled: bool = Field(
        default=True, description="Evaluate and store shadow policies' decisions on live traffic."
    )
    backtest_batch: int = Field(
        default=5000, ge=100, description="Rows read per batch when backtesting."
    )
    activation_approvals: int = Field(
        default=0,
        ge=0,
        le=5,
        description=(
            "Approvals by other policy editors a version needs before it is activated on a "
            "surface (1: four eyes). Cases passing and an attached backtest are always needed."
        ),
    )
