"""Settings of accounts, sessions and API keys (the ``auth`` section; env ``MODGATE_AUTH__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AuthSettings(BaseModel):
    """Every field is documented in ``docs/settings.md`` (section ``auth``)."""

    api_keys_required: bool = Field(default=True, description="Require an API key on the /v1 API.")
    secrets_key: str | None = Field(
        default=None,
        description="Fernet key that seals the AWS secret access keys of `keys create --aws` "
        "(SigV4 needs the secret). Default: the file <data_dir>/secrets.key, made on first "
        "use. Servers sharing a database must share it.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a console sign-in lasts."
    )
    session_idle_minutes: float = Field(
        default=30.0,
        gt=0,
        le=24 * 60 * 30,
        description="A console session unused this long ends (each request extends it).",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Mark the console's cookies Secure (HTTPS only); plain HTTP to a loopback "
        "address gets them without the flag.",
    )
    min_password_length: int = Field(
        default=12, ge=8, le=128, description="Shortest password accepted for a new account."
    )
    sign_in_max_failures: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="Failed sign-ins for one username, or from one client address, before "
        "further attempts are refused for the rest of the window.",
    )
    sign_in_window_minutes: float = Field(
        default=15.0, gt=0, le=24 * 60, description="Window in which failed sign-ins count."
    )
    password_checks_at_once: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Password hashes one API process computes at once; sign-ins beyond this "
        "are answered 503 with Retry-After instead of waiting.",
    )
