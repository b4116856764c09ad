"""The audit log on SQLite and PostgreSQL: entries get gap-free sequence numbers in commit
order and chain into the Merkle tree; an entry rolled back with its transaction is gone and its
number reused; the database refuses to update or delete an entry; concurrent writers never
share or skip a number."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from modgate import audit
from modgate.audit.log import head, leaf_data
from modgate.audit.merkle import leaf_hash, root
from modgate.db import make_engine, session_factory, transaction, upgrade


@pytest.fixture
def sessions(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    yield session_factory(engine)
    engine.dispose()


def _append(session: Session, number: int, tenant: str = "default") -> audit.AuditEntry:
    return audit.append(
        session,
        "user.changed",
        tenant=tenant,
        actor=audit.user_actor("usr_admin"),
        object=f"user:usr_{number}",
        payload={"role": "auditor", "number": number},
        detail={"role": "auditor"},
    )


def _rows(session: Session) -> list[audit.AuditEntryRow]:
    return list(session.scalars(select(audit.AuditEntryRow).order_by(audit.AuditEntryRow.seq)))


def test_entries_chain_into_the_tree_and_roll_back_with_their_change(sessions) -> None:  # type: ignore[no-untyped-def]
    with transaction(sessions) as session:
        first = _append(session, 0)
        second = _append(session, 1, tenant="acme")
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        _append(session, 2)
        raise RuntimeError("the change failed")
    with transaction(sessions) as session:
        third = _append(session, 3)
    assert [first.seq, second.seq, third.seq] == [0, 1, 2]  # the rolled-back number is reused
    with sessions() as session:
        rows = _rows(session)
        size, head_root = head(session)
    assert [row.object for row in rows] == ["user:usr_0", "user:usr_1", "user:usr_3"]
    leaves = [
        leaf_hash(
            leaf_data(
                row.seq, row.created_at, row.tenant, row.actor, row.kind, row.object,
                row.payload_hash, row.detail,
            )
        )
        for row in rows
    ]  # fmt: skip
    assert [row.leaf_hash for row in rows] == leaves
    assert [row.root_hash for row in rows] == [root(leaves[: i + 1]) for i in range(3)]
    assert (size, head_root) == (3, root(leaves))
    assert rows[1].tenant == "acme" and rows[0].actor == "user:usr_admin"
    assert rows[0].payload_hash == audit.payload_hash({"number": 0, "role": "auditor"})
    assert rows[0].detail == '{"role":"auditor"}'


def test_the_database_refuses_to_change_or_remove_an_entry(sessions) -> None:  # type: ignore[no-untyped-def]
    with transaction(sessions) as session:
        _append(session, 0)
    statements = [
        "UPDATE audit_log SET actor = 'user:someone_else'",
        "DELETE FROM audit_log",
    ]
    if sessions.kw["bind"].dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), transaction(sessions) as session:
            session.execute(text(statement))
    with sessions() as session:
        assert [row.actor for row in _rows(session)] == ["user:usr_admin"]


def test_bad_kinds_actors_and_objects_are_refused(sessions) -> None:  # type: ignore[no-untyped-def]
    with transaction(sessions) as session:
        for kind, actor, subject in [
            ("user.renamed", "user:u", "user:u"),
            ("user.changed", "bob", "user:u"),
            ("user.changed", "user:", "user:u"),
            ("user.changed", "user:u", "usr_1"),
        ]:
            with pytest.raises(ValueError):
                audit.append(
                    session, kind, tenant="default", actor=actor, object=subject, payload={}
                )
        with pytest.raises(Exception, match="tenant"):
            audit.append(
                session, "user.changed", tenant="Bad Tenant", actor="user:u", object="user:u",
                payload={},
            )  # fmt: skip
    with sessions() as session:
        assert _rows(session) == []


def test_concurrent_writers_get_every_number_once(sessions) -> None:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for number in range(15):
                with transaction(sessions) as session:
                    _append(session, worker * 100 + number)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sessions() as session:
        rows = _rows(session)
        size, head_root = head(session)
    assert [row.seq for row in rows] == list(range(60))
    assert size == 60 and head_root == rows[-1].root_hash == root([r.leaf_hash for r in rows])
    assert len({row.object for row in rows}) == 60


def test_cli_and_key_actors() -> None:
    assert audit.cli_actor().startswith("cli:") and "@" in audit.cli_actor()
    assert audit.key_actor("key_1") == "key:key_1"
    assert audit.key_actor(None) == audit.ANONYMOUS
