"""``modgate audit keygen|checkpoint|verify|prove|export``: the audit log from the command line.

``verify`` exits 0 when the log is intact and 1 naming the first bad sequence number (or, against
a checkpoint, the truncation or rewrite) otherwise; a checkpoint that does not verify is also 1.
Other errors (a file that cannot be read, bad options) exit 2 with ``CODE: message``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from modgate.audit.checkpoint import Checkpoint, SigningKey
from modgate.audit.merkle import ProofError, verify_consistency, verify_inclusion
from modgate.audit.service import AuditQuery, AuditService
from modgate.cli_context import command_services
from modgate.errors import InvalidCheckpointException, InvalidParameterException

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
CSV_COLUMNS = ("seq", "time", "tenant", "actor", "kind", "object", "payload_hash", "detail")


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


def _audit(ctx: typer.Context) -> AuditService:
    return command_services(ctx).services().audit


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidParameterException(f"cannot read {path}: {exc}") from exc


@audit_app.command("keygen")
def keygen(
    name: Annotated[str, typer.Argument(help="Key name, e.g. modgate.example.com/audit.")],
    out: Annotated[Path, typer.Option(help="File to write the signing key to (made 0600).")],
) -> None:
    """Make an Ed25519 checkpoint signing key; prints its verifier key for auditors."""
    key = SigningKey.generate(name)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(f"{key}\n")
    typer.echo(str(key.verifier))


@audit_app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Sign the log's size and root now and write the checkpoint; prints it."""
    note = _audit(ctx).sign_checkpoint(force=True)
    typer.echo(note or "", nl=False)


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    checkpoint: Annotated[
        Path | None, typer.Option(help="A signed checkpoint the log must still extend.")
    ] = None,
) -> None:
    """Recompute every entry; exit 1 naming the first bad one (or a truncated or rewritten
    log, against a checkpoint)."""
    note = _read(checkpoint) if checkpoint is not None else None
    try:
        verdict = _audit(ctx).verify(note)
    except InvalidCheckpointException as exc:
        typer.echo(f"checkpoint {checkpoint}: {exc.message}", err=True)
        raise typer.Exit(code=1) from exc
    if not verdict.intact:
        where = f"first bad entry: {verdict.first_bad}; " if verdict.first_bad is not None else ""
        typer.echo(f"TAMPERED: {where}{verdict.problem}", err=True)
        raise typer.Exit(code=1)
    against = f", extends checkpoint {checkpoint}" if checkpoint is not None else ""
    typer.echo(f"intact: {verdict.size} entries, root {verdict.root.hex()}{against}")


@audit_app.command("prove")
def prove(
    ctx: typer.Context,
    entry: Annotated[int, typer.Argument(help="The entry's sequence number.")],
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="Prove it in this signed checkpoint's tree, and the log extends it."),
    ] = None,
) -> None:
    """Print (as JSON) the inclusion proof of ENTRY, checked against the log's root, or the
    signed root of a checkpoint together with the consistency proof from it to the log now."""
    service = _audit(ctx)
    if checkpoint is None:
        typer.echo(json.dumps(service.inclusion(entry, None, None), indent=2))
        return
    signed = Checkpoint.open(_read(checkpoint), service.verifier_key())
    inclusion = service.inclusion(entry, signed.size, None)
    consistency = service.consistency(signed.size, None) if signed.size else None
    try:
        leaf = bytes.fromhex(inclusion["leaf_hash"])
        proof = [bytes.fromhex(p) for p in inclusion["proof"]]
        verify_inclusion(leaf, entry, signed.size, proof, signed.root)
        if consistency is not None:
            now = bytes.fromhex(consistency["to_root"])
            steps = [bytes.fromhex(p) for p in consistency["proof"]]
            verify_consistency(signed.size, consistency["to_size"], signed.root, now, steps)
    except ProofError as exc:
        typer.echo(f"TAMPERED: the log does not match checkpoint {checkpoint}: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    answer = {"checkpoint": {"origin": signed.origin, "size": signed.size}}
    typer.echo(json.dumps(answer | {"inclusion": inclusion, "consistency": consistency}, indent=2))


def _moment(text: str | None, name: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidParameterException(f"{name} {text!r} is not an ISO 8601 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@audit_app.command("export")
def export(
    ctx: typer.Context,
    output_format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.jsonl,
    output: Annotated[Path | None, typer.Option(help="File to write; default stdout.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's entries.")] = None,
    since: Annotated[str | None, typer.Option(help="From this time (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this time (ISO 8601).")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor's entries.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only entries of this kind.")] = None,
    subject: Annotated[str | None, typer.Option("--object", help="Only about this object.")] = None,
) -> None:
    """Write the entries, oldest first, as JSON Lines or CSV."""
    query = AuditQuery(
        tenant=tenant,
        since=_moment(since, "--since"),
        until=_moment(until, "--until"),
        actor=actor,
        kind=kind,
        object=subject,
    )
    if output is None:
        _export(_audit(ctx), query, output_format, sys.stdout)
        return
    with open(output, "w", encoding="utf-8", newline="") as file:
        _export(_audit(ctx), query, output_format, file)


def _export(service: AuditService, query: AuditQuery, form: ExportFormat, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n") if form is ExportFormat.csv else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    cursor: str | None = None
    while True:
        page, cursor = service.entries(query, cursor, limit=500)
        for entry in page:
            public = entry.to_public()
            if writer is None:
                out.write(json.dumps(public, sort_keys=True) + "\n")
            else:
                public["detail"] = json.dumps(public["detail"], sort_keys=True)
                writer.writerow([public[column] for column in CSV_COLUMNS])
        if cursor is None:
            return
