"""``modgate banks``: hash banks from a terminal — make, list and delete banks, add content
(a file, a raw hash), import and export entries, look a file or a hash up.

Commands act for one tenant (``--tenant``, default ``default``); their changes are audited as
the operator's (``cli:<user>@<host>``). Output is JSON, one object per line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from modgate import audit
from modgate.banks.exchange import parse_import, to_csv
from modgate.banks.service import BankService
from modgate.cli_context import command_services
from modgate.tenants import DEFAULT_TENANT

banks_app = typer.Typer(help="Hash banks of known content (PDQ, video MD5).", no_args_is_help=True)
Tenant = Annotated[str, typer.Option(help="The tenant whose banks these are.")]


def register(app: typer.Typer) -> None:
    app.add_typer(banks_app, name="banks")


def _service(ctx: typer.Context) -> BankService:
    return command_services(ctx).services().banks


def _echo(value: object) -> None:
    typer.echo(json.dumps(value, default=str))


@banks_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="UPPER_CASE_AND_UNDERSCORES")],
    max_distance: Annotated[int, typer.Option(help="Largest PDQ distance matched.")] = 31,
    ratio: Annotated[float, typer.Option(help="Share of lookups the bank takes part in.")] = 1.0,
    negative: Annotated[bool, typer.Option(help="Known-good content: matches suppress.")] = False,
    tenant: Tenant = DEFAULT_TENANT,
) -> None:
    """Make a bank."""
    bank = _service(ctx).create_bank(
        tenant,
        name,
        matching_enabled_ratio=ratio,
        max_distance=max_distance,
        negative=negative,
        actor=audit.cli_actor(),
    )
    _echo(bank.to_public())


@banks_app.command("list")
def list_banks(ctx: typer.Context, tenant: Tenant = DEFAULT_TENANT) -> None:
    """The tenant's banks, with how much each holds."""
    for bank in _service(ctx).banks(tenant):
        _echo(bank.to_public())


@banks_app.command("delete")
def delete(ctx: typer.Context, name: str, tenant: Tenant = DEFAULT_TENANT) -> None:
    """Delete a bank with its content."""
    _service(ctx).delete_bank(tenant, name, audit.cli_actor())
    _echo({"deleted": name})


@banks_app.command("add")
def add(
    ctx: typer.Context,
    name: str,
    file: Annotated[Path | None, typer.Option(help="A picture or video to hash.")] = None,
    signal_type: Annotated[str | None, typer.Option(help="pdq or video_md5")] = None,
    signal: Annotated[str | None, typer.Option(help="The hash, in hex.")] = None,
    note: str = "",
    tenant: Tenant = DEFAULT_TENANT,
) -> None:
    """Add a file (hashed here) or a raw hash to a bank; prints the new content."""
    service = _service(ctx)
    if file is not None:
        with file.open("rb") as stream:
            content = service.add_upload(tenant, name, stream, note, audit.cli_actor())
    elif signal_type and signal:
        content = service.add_raw(tenant, name, signal_type, signal, note, audit.cli_actor())
    else:
        raise typer.BadParameter("give --file, or --signal-type and --signal")
    _echo(content.to_public())


@banks_app.command("import")
def import_entries(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV (signal_type,signal,bank,note) or JSON.")],
    bank: Annotated[str | None, typer.Option(help="Bank of entries that name none.")] = None,
    tenant: Tenant = DEFAULT_TENANT,
) -> None:
    """Import entries, all or none."""
    service = _service(ctx)
    kind = "text/csv" if file.suffix.lower() == ".csv" else "application/json"
    entries = parse_import(file.read_bytes(), kind)
    _echo({"imported": service.import_entries(tenant, entries, bank, audit.cli_actor())})


@banks_app.command("export")
def export(
    ctx: typer.Context,
    name: str,
    csv_format: Annotated[bool, typer.Option("--csv", help="CSV instead of JSON lines.")] = False,
    tenant: Tenant = DEFAULT_TENANT,
) -> None:
    """Every entry of a bank, on standard output."""
    service = _service(ctx)
    rows = service.export(tenant, name)
    if csv_format:
        sys.stdout.write(to_csv(rows))
        return
    for row in rows:
        _echo(row)


@banks_app.command("lookup")
def lookup(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option(help="A picture or video to hash.")] = None,
    signal_type: Annotated[str | None, typer.Option(help="pdq or video_md5")] = None,
    signal: Annotated[str | None, typer.Option(help="The hash, in hex.")] = None,
    tenant: Tenant = DEFAULT_TENANT,
) -> None:
    """The banks a file or a hash matches (every bank: no coin flip), nearest first."""
    service = _service(ctx)
    if file is not None:
        with file.open("rb") as stream:
            hashed = service.hash_stream(stream, mirror=True)
        found = service.lookup(tenant, hashed.lookup_signals(), bypass_coinflip=True)
    elif signal_type and signal:
        found = service.lookup_raw(tenant, signal_type, signal, bypass_coinflip=True)
    else:
        raise typer.BadParameter("give --file, or --signal-type and --signal")
    for bank, matches in found.items():
        for match in matches:
            _echo(
                {
                    "bank": bank,
                    "content_id": match.content_id,
                    "distance": match.distance,
                    "signal_type": match.signal_type,
                }
            )
