"""Tables of accounts: users (argon2 password hashes, one role, assigned queues), server-side
console sessions (only a hash of the cookie is stored), API keys (hashed, scoped, revocable,
each acting for one tenant) and
recent failed sign-ins (counted in the database so every API process sees the same figures)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modgate.db.base import Base, utcnow
from modgate.tenants import DEFAULT_TENANT, TENANT_LENGTH


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    queues: Mapped[list[Any]] = mapped_column(default=list)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column()


class SessionRow(Base):
    __tablename__ = "console_sessions"
    __table_args__ = (
        Index("ix_console_sessions_user_id", "user_id"),
        Index("ix_console_sessions_expires_at", "expires_at"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    # Moved forward (at most once a minute) while the session is used: the idle timeout.
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    # Whose objects the key reads and writes (``modgate.tenants``).
    tenant: Mapped[str] = mapped_column(
        String(TENANT_LENGTH), default=DEFAULT_TENANT, server_default=DEFAULT_TENANT
    )
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column()
    # For a key made with ``--aws``: its secret access key, sealed (``modgate.auth.aws``).
    aws_secret: Mapped[str | None] = mapped_column(String(255))


class SignInFailureRow(Base):
    """One failed sign-in. The username is kept as a sha256 (people type passwords into the
    username field); rows older than the throttle's window are deleted as new ones come."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_username_hash", "username_hash", "failed_at"),
        Index("ix_sign_in_failures_address", "address", "failed_at"),
        Index("ix_sign_in_failures_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username_hash: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[dt.datetime] = mapped_column()
