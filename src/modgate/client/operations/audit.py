"""Audit log operations (``/v1/audit``): list entries, fetch inclusion and consistency proofs
and the latest signed checkpoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypedDict, Unpack, cast

import httpx

from modgate.client.operations.call import Call, _json, _page, _query, route
from modgate.client.types import AuditEntry, ConsistencyProof, InclusionProof, Page


class AuditFilters(TypedDict, total=False):
    since: dt.datetime | str  # ISO 8601
    until: dt.datetime | str
    actor: str  # user:<id>, key:<id>, cli:<os-user>@<host>, system
    kind: str  # e.g. moderation.decided, api_key.created
    object: str  # <type>:<id>, e.g. moderation:mod_…
    limit: int  # per page, 1–500 (default 100)


@route("GET", "/v1/audit")
def list_audit_entries(
    *, cursor: str | None = None, **filters: Unpack[AuditFilters]
) -> Call[Page[AuditEntry]]:
    """One page of the tenant's audit entries, oldest first (scope ``audit:read``)."""
    params = _query(cursor=cursor, **filters)
    return Call("GET", "/v1/audit", cast(Callable[[httpx.Response], Any], _page), params)


@route("GET", "/v1/audit/proofs/inclusion")
def get_audit_inclusion_proof(seq: int, *, tree_size: int | None = None) -> Call[InclusionProof]:
    """RFC 9162 inclusion proof of one of the tenant's entries in the log of ``tree_size``."""
    params = _query(seq=seq, tree_size=tree_size)
    return Call("GET", "/v1/audit/proofs/inclusion", _json, params)


@route("GET", "/v1/audit/proofs/consistency")
def get_audit_consistency_proof(
    from_size: int, *, to_size: int | None = None
) -> Call[ConsistencyProof]:
    """RFC 9162 consistency proof between two sizes of the log."""
    params = _query(from_size=from_size, to_size=to_size)
    return Call("GET", "/v1/audit/proofs/consistency", _json, params)


@route("GET", "/v1/audit/checkpoints/latest")
def get_latest_audit_checkpoint() -> Call[str]:
    """The latest signed checkpoint, as its C2SP signed note (text)."""
    return Call("GET", "/v1/audit/checkpoints/latest", lambda response: response.text)
