"""Where policy versions, activations and shadow decisions live.

``PolicyStore`` is the narrow interface the services use; ``SqlPolicyStore`` keeps it in the
database (SQLite or PostgreSQL), ``InMemoryPolicyStore`` (policy/memory.py) in dicts for tests.
A version is the sha256 of the policy document, so saving the same policy twice is a no-op.
Each surface has at most one active version; every activation is kept, so history and rollback
need no extra state. Clocks are injected.

``author`` and ``actor`` name who did it as the audit log names actors (``user:<id>``,
``cli:<user>@<host>``); the SQL store appends each save, activation, rollback, shadow start
and backtest to the audit log (``modgate.audit``) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from modgate import audit
from modgate.db.base import new_id, transaction, utcnow
from modgate.errors import (
    ConflictException,
    PolicyVersionNotFoundException,
    StoreUnavailableException,
)
from modgate.policy.loader import policy_from_text
from modgate.policy.model import Policy
from modgate.policy.tables import (
    PolicyActivationRow,
    PolicyShadowRow,
    PolicyVersionRow,
    ShadowDecisionRow,
)
from modgate.tenants import DEFAULT_TENANT

Clock = Callable[[], dt.datetime]
Result = TypeVar("Result")  # what one transaction's work returns


@dataclass(frozen=True)
class StoredPolicy:
    version: str
    name: str
    source: str
    author: str
    note: str
    created_at: dt.datetime

    def load(self) -> Policy:
        """The policy itself (compiled once per process per version)."""
        return _load_cached(self.version, self.source, self.name)


@lru_cache(maxsize=64)
def _load_cached(version: str, source: str, name: str) -> Policy:
    return policy_from_text(source, f"<policy {name}@{version[:12]}>")


@dataclass(frozen=True)
class Activation:
    id: str
    surface: str
    version: str
    actor: str
    note: str
    activated_at: dt.datetime
    deactivated_at: dt.datetime | None


@dataclass(frozen=True)
class ShadowRecord:
    surface: str
    candidate_version: str
    candidate_action: str
    candidate_rule: str
    active_version: str | None
    active_action: str | None
    active_rule: str | None
    decision: dict[str, Any]
    created_at: dt.datetime
    moderation_id: str | None = None
    id: str = field(default_factory=lambda: new_id("shd"))


class PolicyStore(Protocol):
    def save(self, policy: Policy, *, author: str, note: str = "") -> StoredPolicy: ...
    def get(self, version: str) -> StoredPolicy: ...
    def versions(self) -> list[StoredPolicy]: ...
    def activate(self, version: str, surface: str, *, actor: str, note: str = "") -> Activation: ...
    def active_for(self, surface: str) -> StoredPolicy | None: ...
    def history(self, surface: str) -> list[Activation]: ...
    def rollback(self, surface: str, *, actor: str, note: str = "") -> Activation: ...
    def start_shadow(self, version: str, surface: str, *, actor: str) -> None: ...
    def stop_shadow(self, version: str, surface: str) -> None: ...
    def shadows_for(self, surface: str) -> list[StoredPolicy]: ...
    def record_shadow(self, records: Sequence[ShadowRecord]) -> None: ...
    def shadow_records(
        self, surface: str, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[ShadowRecord]: ...


def previous_version(history: list[Activation]) -> str:
    """The version active before the current one (history newest first)."""
    if not history or history[0].deactivated_at is not None:
        raise ConflictException(
            "nothing is active on this surface, so there is nothing to roll back"
        )
    current = history[0].version
    for activation in history[1:]:
        if activation.version != current:
            return activation.version
    raise ConflictException("there is no earlier version to roll back to")


def resolve_version(versions: Iterable[str], wanted: str) -> str:
    matches = [v for v in versions if v.startswith(wanted)] if len(wanted) >= 6 else []
    if wanted in matches:
        return wanted
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise ConflictException(f"version prefix {wanted!r} is ambiguous; give more characters")
    raise PolicyVersionNotFoundException(f"no stored policy version {wanted!r}")


class SqlPolicyStore:
    """The store in the database; every method is one transaction."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock

    def _run(self, work: Callable[[Session], Result]) -> Result:
        try:
            with transaction(self.sessions) as session:
                return work(session)
        except SQLAlchemyError as exc:
            raise StoreUnavailableException(f"policy store: {type(exc).__name__}") from exc

    def save(self, policy: Policy, *, author: str, note: str = "") -> StoredPolicy:
        return self._run(lambda session: self.save_in(session, policy, author, note)[0])

    def save_in(
        self, session: Session, policy: Policy, author: str, note: str = ""
    ) -> tuple[StoredPolicy, bool]:
        """``save`` inside the caller's transaction (audited there); also whether the version
        is new (saving the same policy again changes and records nothing)."""
        row = session.get(PolicyVersionRow, policy.version)
        if row is not None:
            return _stored(row), False
        row = PolicyVersionRow(
            version=policy.version,
            name=policy.name,
            source=policy.source,
            author=author,
            note=note,
            created_at=self.clock(),
        )
        session.add(row)
        session.flush()
        payload = {"name": policy.name, "source": policy.source, "note": note}
        facts = {"name": policy.name}
        _audit(session, "policy.saved", f"policy:{policy.version}", author, payload, facts)
        return _stored(row), True

    def get(self, version: str) -> StoredPolicy:
        def work(session: Session) -> StoredPolicy:
            row = session.get(PolicyVersionRow, version)
            if row is None:
                like = (
                    select(PolicyVersionRow.version)
                    .where(PolicyVersionRow.version.startswith(version))
                    .limit(2)
                )
                row = session.get(PolicyVersionRow, resolve_version(session.scalars(like), version))
            assert row is not None
            return _stored(row)

        return self._run(work)

    def versions(self) -> list[StoredPolicy]:
        query = select(PolicyVersionRow).order_by(PolicyVersionRow.created_at.desc())
        return self._run(lambda s: [_stored(r) for r in s.scalars(query)])

    def activate(self, version: str, surface: str, *, actor: str, note: str = "") -> Activation:
        return self._activate(version, surface, actor, note, "policy.activated")

    def _activate(self, version: str, surface: str, actor: str, note: str, kind: str) -> Activation:
        stored = self.get(version)
        return self._run(
            lambda session: self.activate_in(
                session, stored.version, surface, actor, note, kind=kind
            )
        )

    def activate_in(
        self,
        session: Session,
        version: str,
        surface: str,
        actor: str,
        note: str = "",
        *,
        kind: str = "policy.activated",
        evidence: Mapping[str, Any] | None = None,
    ) -> Activation:
        """Activate the stored ``version`` (a full one) inside the caller's transaction, and
        audit it there (``kind``; ``evidence``: what allowed it, kept with the entry)."""
        now = self.clock()
        session.execute(
            update(PolicyActivationRow)
            .where(
                PolicyActivationRow.surface == surface,
                PolicyActivationRow.deactivated_at.is_(None),
            )
            .values(deactivated_at=now)
        )
        row = PolicyActivationRow(
            id=new_id("pac"),
            surface=surface,
            version=version,
            mode="active",
            actor=actor,
            note=note,
            activated_at=now,
        )
        session.add(row)
        session.flush()
        facts = {"version": version, "surface": surface, "mode": "active", **(evidence or {})}
        payload = facts | {"note": note, "activation_id": row.id}
        _audit(session, kind, f"policy:{version}", actor, payload, facts)
        return _activation(row)

    def active_for(self, surface: str) -> StoredPolicy | None:
        query = (
            select(PolicyVersionRow)
            .join(PolicyActivationRow, PolicyActivationRow.version == PolicyVersionRow.version)
            .where(
                PolicyActivationRow.surface == surface, PolicyActivationRow.deactivated_at.is_(None)
            )
        )
        return self._run(lambda s: next((_stored(r) for r in s.scalars(query)), None))

    def history(self, surface: str) -> list[Activation]:
        query = (
            select(PolicyActivationRow)
            .where(PolicyActivationRow.surface == surface)
            .order_by(
                PolicyActivationRow.activated_at.desc(),
                PolicyActivationRow.deactivated_at.is_(None).desc(),
            )
        )
        return self._run(lambda s: [_activation(r) for r in s.scalars(query)])

    def rollback(self, surface: str, *, actor: str, note: str = "") -> Activation:
        previous = previous_version(self.history(surface))
        return self._activate(previous, surface, actor, note or "rollback", "policy.rolled_back")

    def start_shadow(self, version: str, surface: str, *, actor: str) -> None:
        stored = self.get(version)
        if any(s.version == stored.version for s in self.shadows_for(surface)):
            return

        def work(session: Session) -> None:
            session.add(
                PolicyShadowRow(
                    id=new_id("psh"),
                    surface=surface,
                    version=stored.version,
                    actor=actor,
                    started_at=self.clock(),
                )
            )
            facts = {"version": stored.version, "surface": surface, "mode": "shadow"}
            _audit(session, "policy.activated", f"policy:{stored.version}", actor, facts, facts)

        self._run(work)

    def record_backtest(self, version: str, *, actor: str, summary: dict[str, Any]) -> None:
        """Audit that ``actor`` backtested ``version``; ``summary`` is the report's figures."""
        facts = {"version": version} | summary
        self._run(
            lambda s: _audit(s, "policy.backtested", f"policy:{version}", actor, facts, facts)
        )

    def stop_shadow(self, version: str, surface: str) -> None:
        stored = self.get(version)
        self._run(
            lambda s: s.execute(
                update(PolicyShadowRow)
                .where(
                    PolicyShadowRow.surface == surface,
                    PolicyShadowRow.version == stored.version,
                    PolicyShadowRow.stopped_at.is_(None),
                )
                .values(stopped_at=self.clock())
            )
        )

    def shadows_for(self, surface: str) -> list[StoredPolicy]:
        query = (
            select(PolicyVersionRow)
            .join(PolicyShadowRow, PolicyShadowRow.version == PolicyVersionRow.version)
            .where(PolicyShadowRow.surface == surface, PolicyShadowRow.stopped_at.is_(None))
        )
        return self._run(lambda s: [_stored(r) for r in s.scalars(query)])

    def record_shadow(self, records: Sequence[ShadowRecord]) -> None:
        if records:
            self._run(
                lambda s: s.add_all(
                    [
                        ShadowDecisionRow(
                            id=r.id,
                            moderation_id=r.moderation_id,
                            surface=r.surface,
                            candidate_version=r.candidate_version,
                            active_version=r.active_version,
                            candidate_action=r.candidate_action,
                            candidate_rule=r.candidate_rule,
                            active_action=r.active_action,
                            active_rule=r.active_rule,
                            decision=r.decision,
                            created_at=r.created_at,
                        )
                        for r in records
                    ]
                )
            )

    def shadow_records(
        self, surface: str, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[ShadowRecord]:
        query = select(ShadowDecisionRow).where(ShadowDecisionRow.surface == surface)
        if since is not None:
            query = query.where(ShadowDecisionRow.created_at >= since)
        if until is not None:
            query = query.where(ShadowDecisionRow.created_at < until)
        query = query.order_by(ShadowDecisionRow.created_at, ShadowDecisionRow.id)
        return self._run(
            lambda s: [
                ShadowRecord(
                    surface=r.surface,
                    candidate_version=r.candidate_version,
                    candidate_action=r.candidate_action,
                    candidate_rule=r.candidate_rule,
                    active_version=r.active_version,
                    active_action=r.active_action,
                    active_rule=r.active_rule,
                    decision=r.decision,
                    created_at=r.created_at,
                    moderation_id=r.moderation_id,
                    id=r.id,
                )
                for r in s.scalars(query)
            ]
        )


def _audit(
    session: Session,
    kind: str,
    subject: str,
    actor: str,
    payload: dict[str, Any],
    detail: dict[str, Any],
) -> None:
    """Policies are everyone's: their entries belong to the ``default`` tenant."""
    audit.append(
        session,
        kind,
        tenant=DEFAULT_TENANT,
        actor=actor,
        object=subject,
        payload=payload,
        detail=detail,
    )


def _stored(row: PolicyVersionRow) -> StoredPolicy:
    return StoredPolicy(row.version, row.name, row.source, row.author, row.note, row.created_at)


def _activation(row: PolicyActivationRow) -> Activation:
    return Activation(
        row.id, row.surface, row.version, row.actor, row.note, row.activated_at, row.deactivated_at
    )
