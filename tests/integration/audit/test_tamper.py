"""``modgate audit verify`` against a log tampered with directly in the database (triggers
dropped first, as someone with the database's owner rights would), on SQLite and PostgreSQL:
each edit, insertion, deletion and reordering is reported at its sequence number with exit 1;
a truncated tail and a fully recomputed log pass the database's own checks but not a checkpoint
signed before; a checkpoint that was altered, or signed by another key, is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from modgate import audit
from modgate.audit.checkpoint import Checkpoint, SigningKey
from modgate.audit.log import head, leaf_data
from modgate.audit.merkle import Frontier, leaf_hash
from modgate.cli import app
from modgate.db import make_engine, session_factory, transaction, upgrade

ENTRIES = 40
SIGNED = 30  # the checkpoint signs the first 30 entries


@dataclass
class Log:
    engine: Engine
    folder: Path
    checkpoint: Path

    def run(self, sql: str, **values: object) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(sql), values)

    def verify(self, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["audit", "verify", *args])
        return result.exit_code, result.output


def _append(sessions, number: int) -> None:  # type: ignore[no-untyped-def]
    with transaction(sessions) as session:
        audit.append(
            session,
            ("user.changed", "api_key.created", "policy.activated")[number % 3],
            tenant=("default", "acme")[number % 2],
            actor=audit.user_actor(f"usr_{number % 4}"),
            object=f"user:usr_{number}",
            payload={"number": number},
            detail={"number": number},
        )


@pytest.fixture
def log(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Log]:
    key_file = tmp_path / "audit.key"
    key_file.write_text(f"{SigningKey.generate('tests.local/audit')}\n")
    monkeypatch.setenv("MODGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("MODGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MODGATE_AUDIT__SIGNING_KEY_FILE", str(key_file))
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    sessions = session_factory(engine)
    for number in range(SIGNED):
        _append(sessions, number)
    signed = CliRunner().invoke(app, ["audit", "checkpoint"])
    assert signed.exit_code == 0, signed.output
    for number in range(SIGNED, ENTRIES):
        _append(sessions, number)
    folder = tmp_path / "data" / "audit"
    found = Log(engine, folder, folder / "checkpoints" / str(SIGNED))
    if engine.dialect.name == "postgresql":
        found.run("ALTER TABLE audit_log DISABLE TRIGGER USER")
    else:
        found.run("DROP TRIGGER audit_log_no_update")
        found.run("DROP TRIGGER audit_log_no_delete")
    yield found
    engine.dispose()


def test_an_untouched_log_is_intact_alone_and_against_its_checkpoint(log: Log) -> None:
    code, out = log.verify()
    assert code == 0 and out.startswith(f"intact: {ENTRIES} entries")
    code, out = log.verify("--checkpoint", str(log.checkpoint))
    assert code == 0 and "extends checkpoint" in out
    assert log.verify("--checkpoint", str(log.folder / "checkpoint"))[0] == 0


def _shift_up(log: Log, start: int) -> None:
    """Move entries from ``start`` on one number up (in two steps: keys stay unique)."""
    log.run("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= :start", start=start)
    log.run("UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000")


def _edit(log: Log) -> None:
    log.run("UPDATE audit_log SET actor = 'user:usr_someone_else' WHERE seq = 12")


def _edit_with_its_leaf(log: Log) -> None:
    with transaction(session_factory(log.engine)) as session:
        row = session.get(audit.AuditEntryRow, 12)
        assert row is not None
        forged = leaf_hash(
            leaf_data(
                12, row.created_at, row.tenant, "user:usr_someone_else", row.kind, row.object,
                row.payload_hash, row.detail,
            )
        )  # fmt: skip
    log.run(
        "UPDATE audit_log SET actor = 'user:usr_someone_else', leaf_hash = :leaf WHERE seq = 12",
        leaf=forged,
    )


def _insert(log: Log) -> None:
    _shift_up(log, 20)
    log.run(
        "INSERT INTO audit_log SELECT 20, created_at, tenant, actor, kind, object, payload_hash,"
        " detail, leaf_hash, root_hash FROM audit_log WHERE seq = 19"
    )


def _delete(log: Log) -> None:
    log.run("DELETE FROM audit_log WHERE seq = 25")


def _delete_and_close_the_gap(log: Log) -> None:
    log.run("DELETE FROM audit_log WHERE seq = 25")
    log.run("UPDATE audit_log SET seq = seq + 1000 WHERE seq > 25")
    log.run("UPDATE audit_log SET seq = seq - 1001 WHERE seq >= 1000")


def _reorder(log: Log) -> None:
    log.run("UPDATE audit_log SET seq = 1005 WHERE seq = 5")
    log.run("UPDATE audit_log SET seq = 5 WHERE seq = 6")
    log.run("UPDATE audit_log SET seq = 6 WHERE seq = 1005")


def _append_behind_the_logs_back(log: Log) -> None:
    log.run(
        f"INSERT INTO audit_log SELECT {ENTRIES}, created_at, tenant, actor, kind, object,"
        " payload_hash, detail, leaf_hash, root_hash FROM audit_log WHERE seq = 0"
    )


def _cut_the_tail(log: Log) -> None:
    log.run("DELETE FROM audit_log WHERE seq >= 35")


@pytest.mark.parametrize(
    ("tamper", "first_bad"),
    [
        (_edit, 12),
        (_edit_with_its_leaf, 12),
        (_insert, 20),
        (_delete, 25),
        (_delete_and_close_the_gap, 25),
        (_reorder, 5),
        (_append_behind_the_logs_back, ENTRIES),
        (_cut_the_tail, 35),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)).strip("_"),
)
def test_tampering_is_reported_at_the_first_bad_entry(
    log: Log, tamper: Callable[[Log], None], first_bad: int
) -> None:
    tamper(log)
    code, out = log.verify()
    assert code == 1, out
    assert f"TAMPERED: first bad entry: {first_bad};" in out


def _recompute(log: Log, keep: int | None = None) -> None:
    """What someone who knows the algorithm does after an edit: every leaf, root and the head
    recomputed (and, with ``keep``, the log cut to that many entries first)."""
    if keep is not None:
        log.run("DELETE FROM audit_log WHERE seq >= :keep", keep=keep)
    sessions = session_factory(log.engine)
    frontier = Frontier()
    with transaction(sessions) as session:
        rows = session.scalars(select(audit.AuditEntryRow).order_by(audit.AuditEntryRow.seq))
        for row in list(rows):
            leaf = leaf_hash(
                leaf_data(
                    row.seq, row.created_at, row.tenant, row.actor, row.kind, row.object,
                    row.payload_hash, row.detail,
                )
            )  # fmt: skip
            frontier.append(leaf)
            row.leaf_hash, row.root_hash = leaf, frontier.root()
        head_row = session.get(audit.AuditHeadRow, 1)
        assert head_row is not None
        head_row.size, head_row.frontier = frontier.size, frontier.to_bytes()


def test_a_recomputed_log_passes_alone_but_not_against_the_checkpoint(log: Log) -> None:
    _edit(log)
    _recompute(log)
    assert log.verify()[0] == 0  # nothing in the database can tell
    code, out = log.verify("--checkpoint", str(log.checkpoint))
    assert code == 1
    assert f"the first {SIGNED} entries do not have the signed checkpoint's root" in out


def test_a_truncated_log_with_its_head_fixed_fails_against_the_checkpoint(log: Log) -> None:
    _recompute(log, keep=20)
    assert log.verify()[0] == 0
    code, out = log.verify("--checkpoint", str(log.checkpoint))
    assert code == 1
    assert f"first bad entry: 20; the log has 20 entries but the checkpoint signed {SIGNED}" in out


def test_altered_and_foreign_checkpoints_are_refused(log: Log, tmp_path: Path) -> None:
    note = log.checkpoint.read_text()
    origin, size, root, *rest = note.split("\n")
    altered = tmp_path / "altered"
    altered.write_text("\n".join([origin, str(SIGNED - 5), root, *rest]))
    code, out = log.verify("--checkpoint", str(altered))
    assert code == 1 and "does not verify: the checkpoint was altered" in out

    with session_factory(log.engine)() as session:
        size_now, root_now = head(session)
    stranger = SigningKey.generate("tests.local/audit")
    foreign = tmp_path / "foreign"
    foreign.write_text(Checkpoint("tests.local/audit", size_now, root_now).sign(stranger))
    code, out = log.verify("--checkpoint", str(foreign))
    assert code == 1 and "not signed by the key tests.local/audit" in out

    garbage = tmp_path / "garbage"
    garbage.write_text("hello\n")
    code, out = log.verify("--checkpoint", str(garbage))
    assert code == 1 and "not a signed note" in out
