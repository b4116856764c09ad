"""Typed values of the moderation record, the vocabulary every stage shares: its statuses and
actions, the record as stored (``ModerationRecord``), what a new request writes
(``NewModeration``), a listing query and its page, and the rows a backtest replays
(``HistoryEntry``).

``StoredModeration`` and ``StoredExtra`` say which columns a reader needs, so the public JSON
and event summaries accept a mapped row, a result row (what the decide-once ``UPDATE … RETURNING``
gives back) or a record alike, without converting on the hot path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast, get_args

from modgate.errors import InvalidParameterException
from modgate.tenants import DEFAULT_TENANT

# What a moderation's ``status`` says. The column's default, ``pending``, is never written:
# a request stores its moderation ``queued`` together with its job.
ModerationStatus = Literal["queued", "completed", "failed"]
# What the policy (``action``) or, after review, the moderation (``final_action``) says; least
# to most severe. ``review`` is never final: a reviewer decides one of the others.
Action = Literal["allow", "annotate", "review", "block"]
FinalAction = Literal["allow", "annotate", "block"]
MODERATION_STATUSES: tuple[str, ...] = get_args(ModerationStatus)
ACTIONS: tuple[str, ...] = get_args(Action)
FINAL_ACTIONS: tuple[str, ...] = get_args(FinalAction)

# Columns a listing filters on by equality.
LIST_FILTERS = ("status", "action", "final_action", "surface", "external_id", "kind", "sha256")
# Columns the decision (``ModerationStore.decide``) writes; anything else is a mistake.
DECISION_COLUMNS = frozenset(
    {
        "status",
        "action",
        "rule_id",
        "policy_version",
        "decision",
        "decided_at",
        "updated_at",
        "final_action",
        "error",
        "labels",
        "content_types",
        "model_version",
    }
)
MAX_LIST_LIMIT = 500


class StoredModeration(Protocol):
    """The columns of a stored moderation, read-only: a ``ModerationRow``, a result row with
    every column, or a ``ModerationRecord``."""

    @property
    def id(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def media_id(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def client_request_token(self) -> str | None: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def surface(self) -> str | None: ...
    @property
    def context(self) -> dict[str, Any]: ...
    @property
    def model_version(self) -> str | None: ...
    @property
    def labels(self) -> list[Any] | None: ...
    @property
    def content_types(self) -> list[Any] | None: ...
    @property
    def action(self) -> str | None: ...
    @property
    def rule_id(self) -> str | None: ...
    @property
    def policy_version(self) -> str | None: ...
    @property
    def decision(self) -> dict[str, Any] | None: ...
    @property
    def verdict(self) -> dict[str, Any] | None: ...
    @property
    def final_action(self) -> str | None: ...
    @property
    def error(self) -> dict[str, Any] | None: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def decided_at(self) -> dt.datetime | None: ...


class StoredExtra(Protocol):
    """What the public JSON reads of a moderation's extras (``ModerationExtraRow`` or
    ``ModerationExtra``)."""

    @property
    def client_metadata(self) -> dict[str, Any]: ...
    @property
    def video_metadata(self) -> dict[str, Any] | None: ...
    @property
    def thumbnails(self) -> dict[str, Any] | None: ...
    @property
    def text_findings(self) -> list[Any] | None: ...


@dataclass(frozen=True, slots=True)
class ModerationRecord:
    """A moderation as stored: the request, the machine decision, the reviewers' verdict."""

    id: str
    media_id: str
    sha256: str
    kind: str
    status: ModerationStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    context: dict[str, Any] = field(default_factory=dict)
    client_request_token: str | None = None
    external_id: str | None = None
    surface: str | None = None
    model_version: str | None = None
    labels: list[Any] | None = None
    content_types: list[Any] | None = None
    action: Action | None = None
    rule_id: str | None = None
    policy_version: str | None = None
    decision: dict[str, Any] | None = None
    verdict: dict[str, Any] | None = None
    final_action: FinalAction | None = None
    error: dict[str, Any] | None = None
    decided_at: dt.datetime | None = None
    tenant: str = DEFAULT_TENANT

    @classmethod
    def from_row(cls, row: Any) -> ModerationRecord:
        """The record of a mapped or result row carrying every column."""
        return cls(
            id=row.id,
            media_id=row.media_id,
            sha256=row.sha256,
            kind=row.kind,
            status=cast(ModerationStatus, row.status),
            created_at=row.created_at,
            updated_at=row.updated_at,
            context=row.context or {},
            client_request_token=row.client_request_token,
            external_id=row.external_id,
            surface=row.surface,
            model_version=row.model_version,
            labels=row.labels,
            content_types=row.content_types,
            action=cast("Action | None", row.action),
            rule_id=row.rule_id,
            policy_version=row.policy_version,
            decision=row.decision,
            verdict=row.verdict,
            final_action=cast("FinalAction | None", row.final_action),
            error=row.error,
            decided_at=row.decided_at,
            tenant=row.tenant,
        )


@dataclass(frozen=True, slots=True)
class ModerationExtra:
    """Per-moderation data that only some moderations have (client metadata, video facts)."""

    client: str | None = None
    client_metadata: dict[str, Any] = field(default_factory=dict)
    request_fingerprint: str | None = None
    video_metadata: dict[str, Any] | None = None
    thumbnails: dict[str, Any] | None = None
    text_findings: list[Any] | None = None


@dataclass(frozen=True, slots=True)
class NewModeration:
    """What an accepted request stores: the moderation (``queued``) and its extras."""

    id: str
    media_id: str
    sha256: str
    kind: str
    created_at: dt.datetime
    context: dict[str, Any] = field(default_factory=dict)
    client_request_token: str | None = None
    external_id: str | None = None
    extra: ModerationExtra = field(default_factory=ModerationExtra)
    tenant: str = DEFAULT_TENANT

    @property
    def surface(self) -> str | None:
        surface = self.context.get("surface")
        return str(surface) if surface is not None else None


@dataclass(frozen=True, slots=True)
class ModerationQuery:
    """A page of moderations, newest first: equality ``filters`` on ``LIST_FILTERS`` (None
    values ignored), a creation window and the cursor of the previous page; only ``tenant``'s
    moderations when given (None: every tenant's, for staff and internal readers). Refuses an
    unknown filter or a limit outside 1..500 with a message saying so."""

    filters: Mapping[str, Any] = field(default_factory=dict)
    limit: int = 50
    cursor: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    tenant: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIST_LIMIT:
            raise InvalidParameterException(f"limit must be between 1 and {MAX_LIST_LIMIT}.")
        for name in self.filters:
            if name not in LIST_FILTERS:
                raise InvalidParameterException(f"Unknown filter {name!r}.")

    @property
    def equal(self) -> dict[str, Any]:
        """The filters that apply (those given a value)."""
        return {name: value for name, value in self.filters.items() if value is not None}


@dataclass(frozen=True, slots=True)
class ModerationPage:
    records: list[ModerationRecord]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class TokenUse:
    """The moderation a ``client_request_token`` made, and the fingerprint of that request."""

    moderation_id: str
    request_fingerprint: str | None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A stored moderation with detections, as backtests and metrics replay it."""

    id: str
    sha256: str
    labels: list[Any]
    context: dict[str, Any]
    surface: str | None
    action: str | None
    rule_id: str | None
    policy_version: str | None
    verdict: dict[str, Any] | None
    final_action: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ReplayItem:
    """What deciding a stored moderation again, for another context, reads of it: its state,
    the upload's context, the key of its stored detections (``sha256``, ``model_version``: None
    when nothing was detected), the machine decision and the reviewers' verdict. A lean read: no
    labels (the detection store holds them), no request extras, no decision trace."""

    id: str
    tenant: str
    status: str
    kind: str
    sha256: str
    surface: str | None
    context: dict[str, Any]
    model_version: str | None
    action: str | None
    rule_id: str | None
    policy_version: str | None
    verdict: dict[str, Any] | None
    final_action: str | None
    # The hash-bank matches the machine decision saw (its ``decision``'s ``bank_matches``):
    # matches belong to the item, not to the detections stored for its bytes.
    bank_matches: list[dict[str, Any]] | None = None

    @classmethod
    def of(cls, row: Any) -> ReplayItem:
        """From any record with these columns and its ``decision``."""
        matches = (getattr(row, "decision", None) or {}).get("bank_matches")
        values = {name: getattr(row, name) for name in REPLAY_COLUMNS}
        return cls(**values, bank_matches=matches)


# The columns of a replay read, in the item's field order (``bank_matches`` read apart).
REPLAY_COLUMNS: tuple[str, ...] = tuple(ReplayItem.__dataclass_fields__)[:-1]


def request_fingerprint(
    sha256: str, context: dict[str, Any], external_id: str | None, metadata: dict[str, Any] | None
) -> str:
    """What makes two requests with one ``client_request_token`` the same request."""
    canonical = json.dumps(
        [sha256, context, external_id, metadata or {}], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_decision_values(values: Mapping[str, Any]) -> None:
    """Refuse a decision that writes a column the decision does not own."""
    unknown = sorted(set(values) - DECISION_COLUMNS)
    if unknown:
        raise ValueError(f"a decision does not write {', '.join(unknown)}")
