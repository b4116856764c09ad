"""The moderation store in memory: the test double that ships with the code, for tests of code
that reads or writes moderations without a database. It passes the same contract as
``SqlModerationStore`` (``tests/contracts/test_moderation_store.py``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from modgate.db.base import decode_cursor
from modgate.errors import ResourceNotFoundException
from modgate.moderation.models import (
    HistoryEntry,
    ModerationExtra,
    ModerationPage,
    ModerationQuery,
    ModerationRecord,
    NewModeration,
    ReplayItem,
    TokenUse,
    check_decision_values,
)
from modgate.moderation.store import page_of


class InMemoryModerationStore:
    """The ``ModerationStore`` in a dict, for tests of code that reads or writes moderations
    without a database. Sessions are accepted and ignored."""

    def __init__(self) -> None:
        self.records: dict[str, ModerationRecord] = {}
        self.extras: dict[str, ModerationExtra] = {}
        self._lock = threading.Lock()

    def insert(self, session: object, moderation: NewModeration) -> None:
        with self._lock:
            if moderation.id in self.records:
                raise ValueError(f"moderation {moderation.id} exists")
            token = moderation.client_request_token
            if token and self._token_use(token, moderation.tenant) is not None:
                raise ValueError(f"client_request_token {token!r} is taken")
            self.records[moderation.id] = ModerationRecord(
                id=moderation.id,
                media_id=moderation.media_id,
                sha256=moderation.sha256,
                kind=moderation.kind,
                status="queued",
                created_at=moderation.created_at,
                updated_at=moderation.created_at,
                context=dict(moderation.context),
                client_request_token=token,
                external_id=moderation.external_id,
                surface=moderation.surface,
                tenant=moderation.tenant,
            )
            self.extras[moderation.id] = moderation.extra

    def decide(
        self, session: object, moderation_id: str, values: Mapping[str, Any]
    ) -> ModerationRecord | None:
        check_decision_values(values)
        with self._lock:
            record = self.records.get(moderation_id)
            if record is None or record.status == "completed":
                return None
            decided = dataclasses.replace(record, **values)
            self.records[moderation_id] = decided
            return decided

    def record_verdict(
        self,
        session: object,
        moderation_id: str,
        verdict: dict[str, Any],
        final_action: str | None,
        now: dt.datetime,
    ) -> ModerationRecord:
        with self._lock:
            record = self.records.get(moderation_id)
            if record is None:
                raise ResourceNotFoundException(f"No moderation {moderation_id!r}.")
            updated = dataclasses.replace(
                record,
                verdict=verdict,
                final_action=final_action,  # type: ignore[arg-type]
                updated_at=now,
            )
            self.records[moderation_id] = updated
            return updated

    def get(
        self, session: object, moderation_id: str, tenant: str | None = None
    ) -> ModerationRecord | None:
        record = self.records.get(moderation_id)
        return record if record is not None and tenant in (None, record.tenant) else None

    def extra(
        self, session: object, moderation_id: str, tenant: str | None = None
    ) -> ModerationExtra | None:
        if self.get(session, moderation_id, tenant) is None:
            return None
        return self.extras.get(moderation_id)

    def status(self, session: object, moderation_id: str, tenant: str | None = None) -> str | None:
        record = self.get(session, moderation_id, tenant)
        return record.status if record else None

    def replay_items(
        self, session: object, moderation_ids: Sequence[str], tenant: str | None = None
    ) -> dict[str, ReplayItem]:
        found = (self.get(session, moderation_id, tenant) for moderation_id in moderation_ids)
        return {record.id: ReplayItem.of(record) for record in found if record is not None}

    def by_token(self, session: object, token: str, tenant: str) -> TokenUse | None:
        return self._token_use(token, tenant)

    def _token_use(self, token: str, tenant: str) -> TokenUse | None:
        for record in list(self.records.values()):
            if record.client_request_token == token and record.tenant == tenant:
                extra = self.extras.get(record.id)
                return TokenUse(record.id, extra.request_fingerprint if extra else None)
        return None

    def list(self, session: object, query: ModerationQuery) -> ModerationPage:
        found = sorted(self.records.values(), key=lambda r: (r.created_at, r.id), reverse=True)
        if query.tenant is not None:
            found = [r for r in found if r.tenant == query.tenant]
        equal = query.equal
        found = [r for r in found if all(getattr(r, k) == v for k, v in equal.items())]
        if query.created_after:
            found = [r for r in found if r.created_at >= query.created_after]
        if query.created_before:
            found = [r for r in found if r.created_at < query.created_before]
        if query.cursor:
            after = decode_cursor(query.cursor)
            found = [r for r in found if (r.created_at, r.id) < after]
        return page_of(found[: query.limit + 1], query.limit)

    def history(
        self,
        session: object,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        surface: str | None = None,
        limit: int | None = None,
        batch: int = 5000,
    ) -> Iterator[HistoryEntry]:
        found = sorted(self.records.values(), key=lambda r: (r.created_at, r.id))
        found = [
            r
            for r in found
            if r.labels is not None
            and (since is None or r.created_at >= since)
            and (until is None or r.created_at < until)
            and (surface is None or r.surface == surface)
        ]
        for record in found[:limit]:
            yield HistoryEntry(
                id=record.id,
                sha256=record.sha256,
                labels=record.labels or [],
                context=dict(record.context),
                surface=record.surface,
                action=record.action,
                rule_id=record.rule_id,
                policy_version=record.policy_version,
                verdict=record.verdict,
                final_action=record.final_action,
                created_at=record.created_at,
            )
