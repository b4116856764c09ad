"""Settings of accounts, sessions and API keys (the ``auth`` section; env ``MODGATE_AUTH__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AuthSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``auth``)."""

    api_keys_required: bool = Field(
        default=True, description="Require an API key on the /v1 API."
    )
