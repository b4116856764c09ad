"""Where banks live: ``BankStore`` (the protocol) and ``SqlBankStore``.

Every read and write is limited to one tenant: another tenant's bank or content is not found.
Every change raises its bank's ``revision`` and appends its ``bank.*`` audit entry
(``modgate.audit``) in the same transaction, so the matching index and the audit trail never
disagree with the banks. The ``*_in`` methods work inside a caller's transaction (a reviewer's
verdict adds its item to a bank in the verdict's transaction; an appeal that overturns it
removes it in the appeal's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from modgate import audit
from modgate.banks.models import Bank, BankContent, NewContent
from modgate.banks.signals import Signal
from modgate.banks.tables import BankContentRow, BankRow, BankSignalRow
from modgate.db.base import new_id, table_of, transaction, utcnow
from modgate.errors import BankContentNotFoundException, BankExistsException, BankNotFoundException

_banks = table_of(BankRow)
_contents = table_of(BankContentRow)
_signals = table_of(BankSignalRow)


class BankStore(Protocol):
    def create(self, bank: Bank, actor: str | None) -> Bank: ...
    def banks(self, tenant: str) -> list[Bank]: ...
    def get(self, tenant: str, name: str) -> Bank: ...
    def update(
        self, tenant: str, name: str, changes: Mapping[str, Any], actor: str | None
    ) -> Bank: ...
    def delete(self, tenant: str, name: str, actor: str | None) -> None: ...
    def add_in(
        self,
        session: Session,
        tenant: str,
        name: str,
        items: Sequence[NewContent],
        actor: str | None,
    ) -> list[BankContent]: ...
    def add(
        self, tenant: str, name: str, items: Sequence[NewContent], actor: str | None
    ) -> list[BankContent]: ...
    def content(self, tenant: str, content_id: int) -> BankContent: ...
    def contents(
        self, tenant: str, name: str, limit: int, after: int | None = None
    ) -> list[BankContent]: ...
    def update_content(
        self, tenant: str, content_id: int, changes: Mapping[str, Any], actor: str | None
    ) -> BankContent: ...
    def remove_content(self, tenant: str, content_id: int, actor: str | None) -> None: ...
    def remove_moderation_in(
        self, session: Session, tenant: str, moderation_id: str, actor: str | None
    ) -> list[int]: ...


def _bank(row: Any) -> Bank:
    return Bank(
        id=row.id,
        tenant=row.tenant,
        name=row.name,
        matching_enabled_ratio=row.matching_enabled_ratio,
        max_distance=row.max_distance,
        negative=row.negative,
        description=row.description,
        revision=row.revision,
        created_at=row.created_at,
        updated_at=row.updated_at,
        content_count=getattr(row, "content_count", None),
    )


def _settings(public: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("matching_enabled_ratio", "max_distance", "negative")
    return {key: public[key] for key in keep}


def _counted(tenant: str) -> Select[Any]:
    """The tenant's banks, each with how many contents it holds, by name."""
    counts = (
        select(_contents.c.bank_id, func.count().label("content_count"))
        .where(_contents.c.tenant == tenant)
        .group_by(_contents.c.bank_id)
        .subquery()
    )
    return (
        select(*_banks.c, func.coalesce(counts.c.content_count, 0).label("content_count"))
        .outerjoin(counts, counts.c.bank_id == _banks.c.id)
        .where(_banks.c.tenant == tenant)
        .order_by(_banks.c.name)
    )


def _signal(row: Any) -> Signal:
    return Signal(row.signal_type, row.value, row.quality, row.timestamp_ms)


class SqlBankStore:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.sessions = sessions
        self.clock = clock

    # ---- banks ----------------------------------------------------------------------------
    def create(self, bank: Bank, actor: str | None) -> Bank:
        now = self.clock()
        try:
            with transaction(self.sessions) as session:
                session.execute(
                    insert(_banks).values(
                        id=bank.id or new_id("bnk"),
                        tenant=bank.tenant,
                        name=bank.name,
                        description=bank.description,
                        matching_enabled_ratio=bank.matching_enabled_ratio,
                        max_distance=bank.max_distance,
                        negative=bank.negative,
                        revision=1,
                        content_revision=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
                self._changed(
                    session, bank.tenant, bank.name, "created", actor, _settings(bank.to_public())
                )
        except IntegrityError as exc:
            raise BankExistsException(f"A bank named {bank.name} already exists.") from exc
        return self.get(bank.tenant, bank.name)

    def banks(self, tenant: str) -> list[Bank]:
        with self.sessions() as session:
            return [_bank(row) for row in session.execute(_counted(tenant))]

    def get(self, tenant: str, name: str) -> Bank:
        with self.sessions() as session:
            row = session.execute(_counted(tenant).where(_banks.c.name == name)).first()
        if row is None:
            raise BankNotFoundException(f"No bank named {name[:80]!r}.")
        return _bank(row)

    def update(self, tenant: str, name: str, changes: Mapping[str, Any], actor: str | None) -> Bank:
        with transaction(self.sessions) as session:
            row = self._bank_row(session, tenant, name, lock=True)
            session.execute(
                update(_banks)
                .where(_banks.c.id == row.id)
                .values(**changes, revision=_banks.c.revision + 1, updated_at=self.clock())
            )
            self._changed(session, tenant, name, "changed", actor, dict(changes))
        return self.get(tenant, name)

    def delete(self, tenant: str, name: str, actor: str | None) -> None:
        with transaction(self.sessions) as session:
            row = self._bank_row(session, tenant, name, lock=True)
            content_ids = select(_contents.c.id).where(_contents.c.bank_id == row.id)
            session.execute(delete(_signals).where(_signals.c.content_id.in_(content_ids)))
            session.execute(delete(_contents).where(_contents.c.bank_id == row.id))
            session.execute(delete(_banks).where(_banks.c.id == row.id))
            self._changed(session, tenant, name, "deleted", actor)

    # ---- contents -------------------------------------------------------------------------
    def add(
        self, tenant: str, name: str, items: Sequence[NewContent], actor: str | None
    ) -> list[BankContent]:
        with transaction(self.sessions) as session:
            return self.add_in(session, tenant, name, items, actor)

    def add_in(
        self,
        session: Session,
        tenant: str,
        name: str,
        items: Sequence[NewContent],
        actor: str | None,
    ) -> list[BankContent]:
        """Add every item, or (an error) none: one transaction, the caller's."""
        bank = self._bank_row(session, tenant, name, lock=True)
        now = self.clock()
        added = []
        for item in items:
            content_id = session.execute(
                insert(_contents)
                .values(
                    bank_id=bank.id,
                    tenant=tenant,
                    enabled=item.enabled,
                    note=item.note,
                    source=item.source,
                    media_id=item.media_id,
                    moderation_id=item.moderation_id,
                    added_by=actor,
                    created_at=now,
                    updated_at=now,
                )
                .returning(_contents.c.id)
            ).scalar_one()
            if item.signals:
                session.execute(
                    insert(_signals),
                    [
                        {
                            "content_id": content_id,
                            "bank_id": bank.id,
                            "signal_type": s.type,
                            "value": s.value,
                            "quality": s.quality,
                            "timestamp_ms": s.timestamp_ms,
                        }
                        for s in item.signals
                    ],
                )
            added.append(
                BankContent(
                    id=content_id,
                    bank=name,
                    enabled=item.enabled,
                    note=item.note,
                    source=item.source,
                    signals=item.signals,
                    media_id=item.media_id,
                    moderation_id=item.moderation_id,
                    added_by=actor,
                    created_at=now,
                    updated_at=now,
                )
            )
        # Content added turned off: the index must read which contents answer.
        self._bump(session, bank.id, contents_changed=not all(i.enabled for i in items))
        if len(added) == 1:
            content = added[0]
            details = {"source": content.source, "signals": len(content.signals)}
            self._changed(
                session,
                tenant,
                name,
                "content_added",
                actor,
                details,
                content.id,
                content.moderation_id,
            )
        elif added:
            details = {"contents": len(added), "first_id": added[0].id, "last_id": added[-1].id}
            self._changed(session, tenant, name, "imported", actor, details)
        return added

    def content(self, tenant: str, content_id: int) -> BankContent:
        with self.sessions() as session:
            found = self._contents(session, tenant, [content_id])
        if not found:
            raise BankContentNotFoundException(f"No bank content {content_id}.")
        return found[0]

    def contents(
        self, tenant: str, name: str, limit: int, after: int | None = None
    ) -> list[BankContent]:
        with self.sessions() as session:
            bank = self._bank_row(session, tenant, name)
            query = (
                select(_contents.c.id)
                .where(_contents.c.bank_id == bank.id)
                .order_by(_contents.c.id)
                .limit(limit)
            )
            if after is not None:
                query = query.where(_contents.c.id > after)
            ids = list(session.scalars(query))
            return self._contents(session, tenant, ids)

    def update_content(
        self, tenant: str, content_id: int, changes: Mapping[str, Any], actor: str | None
    ) -> BankContent:
        with transaction(self.sessions) as session:
            row = self._content_row(session, tenant, content_id)
            session.execute(
                update(_contents)
                .where(_contents.c.id == content_id)
                .values(**changes, updated_at=self.clock())
            )
            self._bump(session, row.bank_id, contents_changed=True)
            self._changed(
                session, tenant, row.bank_name, "content_changed", actor, dict(changes), content_id
            )
        return self.content(tenant, content_id)

    def remove_content(self, tenant: str, content_id: int, actor: str | None) -> None:
        with transaction(self.sessions) as session:
            row = self._content_row(session, tenant, content_id)
            self._remove(session, tenant, row, actor, None)

    def remove_moderation_in(
        self, session: Session, tenant: str, moderation_id: str, actor: str | None
    ) -> list[int]:
        """Remove every content banked from ``moderation_id`` (an appeal overturned the verdict
        that banked it); the ids removed."""
        rows = session.execute(
            select(_contents.c.id, _contents.c.bank_id, _banks.c.name.label("bank_name"))
            .join(_banks, _banks.c.id == _contents.c.bank_id)
            .where(_contents.c.tenant == tenant, _contents.c.moderation_id == moderation_id)
        ).all()
        for row in rows:
            self._remove(session, tenant, row, actor, moderation_id)
        return [row.id for row in rows]

    # ---- helpers --------------------------------------------------------------------------
    def _bank_row(self, session: Session, tenant: str, name: str, lock: bool = False) -> Any:
        query = select(*_banks.c).where(_banks.c.tenant == tenant, _banks.c.name == name)
        if lock and session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = session.execute(query).first()
        if row is None:
            raise BankNotFoundException(f"No bank named {name[:80]!r}.")
        return row

    def _content_row(self, session: Session, tenant: str, content_id: int) -> Any:
        row = session.execute(
            select(_contents.c.id, _contents.c.bank_id, _banks.c.name.label("bank_name"))
            .join(_banks, _banks.c.id == _contents.c.bank_id)
            .where(_contents.c.id == content_id, _contents.c.tenant == tenant)
        ).first()
        if row is None:
            raise BankContentNotFoundException(f"No bank content {content_id}.")
        return row

    def _contents(self, session: Session, tenant: str, ids: Iterable[int]) -> list[BankContent]:
        wanted = list(ids)
        if not wanted:
            return []
        rows = session.execute(
            select(*_contents.c, _banks.c.name.label("bank_name"))
            .join(_banks, _banks.c.id == _contents.c.bank_id)
            .where(_contents.c.id.in_(wanted), _contents.c.tenant == tenant)
            .order_by(_contents.c.id)
        ).all()
        signals: dict[int, list[Signal]] = {}
        for signal in session.execute(
            select(_signals).where(_signals.c.content_id.in_(wanted)).order_by(_signals.c.id)
        ):
            signals.setdefault(signal.content_id, []).append(_signal(signal))
        return [
            BankContent(
                id=row.id,
                bank=row.bank_name,
                enabled=row.enabled,
                note=row.note,
                source=row.source,
                signals=tuple(signals.get(row.id, ())),
                media_id=row.media_id,
                moderation_id=row.moderation_id,
                added_by=row.added_by,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            for row in rows
        ]

    def _remove(
        self, session: Session, tenant: str, row: Any, actor: str | None, moderation_id: str | None
    ) -> None:
        session.execute(delete(_signals).where(_signals.c.content_id == row.id))
        session.execute(delete(_contents).where(_contents.c.id == row.id))
        self._bump(session, row.bank_id, contents_changed=True)
        self._changed(
            session, tenant, row.bank_name, "content_removed", actor, None, row.id, moderation_id
        )

    def _bump(self, session: Session, bank_id: str, contents_changed: bool = False) -> None:
        """Raise the bank's revision; ``contents_changed``: a content was turned off or on, or
        removed (the index then reads again which contents answer)."""
        values: dict[str, Any] = {"revision": _banks.c.revision + 1, "updated_at": self.clock()}
        if contents_changed:
            values["content_revision"] = _banks.c.content_revision + 1
        session.execute(update(_banks).where(_banks.c.id == bank_id).values(**values))

    @staticmethod
    def _changed(
        session: Session,
        tenant: str,
        bank: str,
        change: str,
        actor: str | None,
        details: Mapping[str, Any] | None = None,
        content_id: int | None = None,
        moderation_id: str | None = None,
    ) -> None:
        """The change's audit entry, in the change's transaction. ``actor`` is an audit actor
        (``key:…``, ``user:…``, ``cli:…``); None is modgate itself."""
        found: dict[str, Any] = {"bank": bank, **(details or {})}
        if moderation_id is not None:
            found["moderation_id"] = moderation_id
        audit.append(
            session,
            f"bank.{change}",
            tenant=tenant,
            actor=actor or audit.SYSTEM,
            object=f"bank_content:{content_id}" if content_id is not None else f"bank:{bank}",
            payload=found,
            detail={k: v for k, v in found.items() if k != "note" and k != "description"},
        )
