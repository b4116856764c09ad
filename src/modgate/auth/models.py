"""Roles, scopes and the principals that requests act as.

Console users have exactly one role; what each role may do is the ``PERMISSIONS`` table below,
the only place that says so. Service clients use API keys whose scopes name what they may call
and whose tenant names whose objects they see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from modgate.review.models import Reviewer
from modgate.tenants import DEFAULT_TENANT

ADMIN = "admin"
POLICY_EDITOR = "policy_editor"
REVIEWER = "reviewer"
SENIOR_REVIEWER = "senior_reviewer"
AUDITOR = "auditor"
ROLES = (ADMIN, POLICY_EDITOR, REVIEWER, SENIOR_REVIEWER, AUDITOR)

# What a console role may do. Seniors handle escalations and appeals as well as first passes;
# auditors read everything and change nothing. Admins manage accounts, API keys, webhook
# endpoints and retention (``keys:manage`` covers keys and webhooks); policy editors (and
# admins) save, test, backtest, approve and activate policies, which auditors may read.
PERMISSIONS: dict[str, frozenset[str]] = {
    ADMIN: frozenset(
        {
            "console",
            "queues:read",
            "metrics:view",
            "users:manage",
            "keys:manage",
            "retention:manage",
            "policy:read",
            "policy:edit",
        }
    ),
    POLICY_EDITOR: frozenset(
        {"console", "queues:read", "metrics:view", "policy:read", "policy:edit"}
    ),
    REVIEWER: frozenset({"console", "queues:read", "review:work"}),
    SENIOR_REVIEWER: frozenset({"console", "queues:read", "review:work", "review:senior"}),
    AUDITOR: frozenset({"console", "queues:read", "metrics:view", "audit:read", "policy:read"}),
}

# ``media:read_clear`` is asked for on top of a route's read scope when a call wants clear
# (unblurred) pixels: a preview with ``blurred=false``, a clear thumbnail. Each such read is
# logged (``media.clear_read`` event). ``media:erase`` answers erasure requests.
# logged (``media.clear_read`` event). ``banks:read`` hashes media and looks hashes up in the
# tenant's banks (HMA's /h and /m, GET /v1/banks…); ``banks:manage`` changes banks and their
# content (HMA's /c, the rest of /v1/banks). ``labels:read`` reads custom-label training jobs;
# ``labels:manage`` trains and retrains custom labels.
SCOPES = (
    "media:read",
    "media:read_clear",
    "media:write",
    "media:erase",
    "moderations:read",
    "moderations:write",
    "appeals:write",
    "review:read",
    "metrics:read",
    "webhooks:manage",
    "banks:read",
    "banks:manage",
    "labels:read",
    "labels:manage",
    "audit:read",
    "streams:manage",
)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    role: str
    queues: tuple[str, ...] = ()
    disabled: bool = False
    created_at: dt.datetime | None = None
    last_login_at: dt.datetime | None = None

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    @property
    def reviewer(self) -> Reviewer:
        return Reviewer(self.id, self.username, self.queues, self.role == SENIOR_REVIEWER)

    def to_public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "role": self.role,
            "queues": list(self.queues),
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    # The tenant whose objects requests with this key see (``modgate.tenants``).
    tenant: str = DEFAULT_TENANT

    def to_public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "tenant": self.tenant,
            "scopes": list(self.scopes),
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    user: User
    csrf_token: str
    expires_at: dt.datetime
