"""Clear (unblurred) pixels through the API: who may read them, and the log of each read.

A route's own scope (``media:read``, ``moderations:read``) gives blurred renditions; clear
ones need ``media:read_clear`` on top, and every clear read is recorded as a
``media.clear_read`` event (and audit entry) whose actor is ``key:<the key's id>``, in its own
transaction before the bytes are sent. With ``auth.api_keys_required=false`` a call without a
key is let through (and logged as ``anonymous``), as everywhere else in ``/v1``; a key that is
sent must hold the scope.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from modgate import audit
from modgate.auth.models import ApiKey
from modgate.errors import AccessDeniedException
from modgate.events import ClearMediaRead, record

CLEAR_SCOPE = "media:read_clear"


def require_clear_scope(request: Request) -> ApiKey | None:
    """The key of a call that may read clear pixels (None: keys are not required and none was
    sent); a key without ``media:read_clear`` is refused (403 ``AccessDeniedException``).
    Call it from a route guarded by ``require_scopes``, which has checked the key."""
    key: ApiKey | None = getattr(request.state, "api_key", None)
    if key is not None and CLEAR_SCOPE not in key.scopes:
        raise AccessDeniedException(
            f"This API key lacks the scope {CLEAR_SCOPE}: clear (unblurred) media needs it."
        )
    return key


def log_clear_read(
    sessions: sessionmaker[Session],
    key: ApiKey | None,
    media_id: str,
    rendition: str,
    *,
    moderation_id: str | None = None,
    timestamp_ms: int | None = None,
) -> None:
    """Record that ``key`` is sent clear pixels of ``media_id`` (committed before they are)."""
    event = ClearMediaRead(
        moderation_id=moderation_id,
        media_id=media_id,
        rendition=rendition,
        timestamp_ms=timestamp_ms,
        actor=audit.key_actor(key.id if key is not None else None),
    )
    with sessions.begin() as session:
        record(session, event)
