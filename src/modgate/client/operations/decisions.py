"""Decisions for one viewer: an item decided again with the viewer's context, alone
(``/v1/moderations/{{id}}/decision``) or in a batch (``/v1/decisions``)."""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from modgate.client.operations.call import Call, _id, _json, _query, route
from modgate.client.types import ViewerDecision


class ViewerContext(TypedDict, total=False):
    """Who views, where and when (every key optional; ``surface`` left out: each item is judged
    on the surface it was uploaded to)."""

    region: str
    audience: str | int
    local_time: str
    timezone: str
    surface: str
    user_state: str


@route("GET", "/v1/moderations/{moderation_id}/decision")
def get_viewer_decision(
    moderation_id: str,
    *,
    policy_version: str | None = None,
    **context: Unpack[ViewerContext],
) -> Call[ViewerDecision]:
    """The item judged again for one viewer's context from its stored detections (the stored
    decision is not changed); a reviewer's verdict stands whatever the context."""
    params = _query(policy_version=policy_version, **context)
    return Call("GET", f"/v1/moderations/{_id(moderation_id)}/decision", _json, params)


@route("POST", "/v1/decisions")
def decide_for_viewer(
    moderation_ids: list[str],
    *,
    policy_version: str | None = None,
    **context: Unpack[ViewerContext],
) -> Call[list[ViewerDecision]]:
    """Decisions for one viewer on up to 1,000 items, in the order given (a feed page); an
    unknown id is an entry with ``status`` ``not_found``, not a failed call."""
    body: dict[str, Any] = {
        "context": dict(context),
        "items": [{"moderation_id": moderation_id} for moderation_id in moderation_ids],
    }
    if policy_version is not None:
        body["policy_version"] = policy_version
    return Call("POST", "/v1/decisions", lambda response: response.json()["decisions"], json=body)
