"""Settings of accounts, sessions and API keys (the ``auth`` section; env ``MODGATE_AUTH__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AuthSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``auth``)."""

    api_keys_required: bool = Field(
        default=True, description="Require an API key on the /v1 API."
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a console sign-in lasts."
    )
    cookie_secure: bool = Field(
        default=False, description="Send the console cookie over HTTPS only."
    )
    min_password_length: int = Field(
        default=12, ge=8, le=128, description="Shortest password accepted for a new account."
    )
