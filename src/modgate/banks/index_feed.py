"""What the matching index reads of the banks: each bank's state (to tell whether to rebuild
it) and its signals, newest after a mark. Reads across tenants: the index serves them all and
keeps each bank's entries apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from modgate.banks.tables import BankContentRow, BankRow, BankSignalRow
from modgate.db.base import table_of

_banks = table_of(BankRow)
_contents = table_of(BankContentRow)
_signals = table_of(BankSignalRow)


@dataclass(frozen=True, slots=True)
class BankState:
    """What the index needs to know of a bank to tell whether to rebuild it."""

    id: str
    tenant: str
    name: str
    revision: int
    matching_enabled_ratio: float
    max_distance: int
    negative: bool
    content_revision: int = 0


@dataclass(frozen=True, slots=True)
class IndexedSignal:
    id: int
    content_id: int
    signal_type: str
    value: str
    quality: int | None


class IndexFeed(Protocol):
    def states(self) -> list[BankState]: ...
    def signals_after(self, bank_id: str, after: int) -> list[IndexedSignal]: ...
    def content_ids(self, bank_id: str) -> tuple[set[int], set[int]]: ...


class SqlIndexFeed:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def states(self) -> list[BankState]:
        with self.sessions() as session:
            rows = session.execute(
                select(
                    _banks.c.id,
                    _banks.c.tenant,
                    _banks.c.name,
                    _banks.c.revision,
                    _banks.c.matching_enabled_ratio,
                    _banks.c.max_distance,
                    _banks.c.negative,
                    _banks.c.content_revision,
                )
            )
            return [BankState(*row) for row in rows]

    def signals_after(self, bank_id: str, after: int) -> list[IndexedSignal]:
        with self.sessions() as session:
            rows = session.execute(
                select(
                    _signals.c.id,
                    _signals.c.content_id,
                    _signals.c.signal_type,
                    _signals.c.value,
                    _signals.c.quality,
                )
                .where(_signals.c.bank_id == bank_id, _signals.c.id > after)
                .order_by(_signals.c.id)
            )
            return [IndexedSignal(*row) for row in rows]

    def content_ids(self, bank_id: str) -> tuple[set[int], set[int]]:
        """The ids of the bank's contents, and of those disabled among them."""
        live: set[int] = set()
        disabled: set[int] = set()
        with self.sessions() as session:
            rows = session.execute(
                select(_contents.c.id, _contents.c.enabled).where(_contents.c.bank_id == bank_id)
            )
            for content_id, enabled in rows:
                live.add(content_id)
                if not enabled:
                    disabled.add(content_id)
        return live, disabled
