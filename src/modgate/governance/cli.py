"""``modgate retention show|set|run``: per-tenant retention of media, and deleting what is due
(run it from cron, or let ``modgate worker`` run it)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from modgate.audit import cli_actor
from modgate.cli_context import command_services
from modgate.tenants import DEFAULT_TENANT

retention_app = typer.Typer(
    help="Delete media some days after its final decision.", no_args_is_help=True
)
Days = Annotated[
    int | None, typer.Option(min=0, help="Days after the final decision; leave out to keep.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")


@retention_app.command("show")
def show(ctx: typer.Context) -> None:
    """One JSON line per tenant with retention settings."""
    for retention in command_services(ctx).services().retention.all():
        typer.echo(json.dumps(retention.to_public()))


@retention_app.command("set")
def set_retention(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option(help="Whose media.")] = DEFAULT_TENANT,
    originals: Days = None,
    previews: Days = None,
    thumbnails: Days = None,
) -> None:
    """Set a tenant's retention (each kind left out is kept for ever)."""
    retention = (
        command_services(ctx)
        .services()
        .retention.set(
            tenant,
            originals_days=originals,
            previews_days=previews,
            thumbnails_days=thumbnails,
            actor=cli_actor(),
        )
    )
    typer.echo(json.dumps(retention.to_public()))


@retention_app.command("run")
def run(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
) -> None:
    """Delete every original, preview and thumbnail that is due now."""
    result = command_services(ctx).services().retention.run(tenant=tenant)
    typer.echo(json.dumps(result.to_public()))
