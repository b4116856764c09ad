"""``modgate streams list|show|stop``: live streams from a terminal, for an operator (any
tenant's stream by id; ``--tenant`` narrows the list)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from modgate.audit import cli_actor
from modgate.cli_context import command_services
from modgate.streams.service import StreamService
from modgate.tenants import DEFAULT_TENANT

streams_app = typer.Typer(help="Live streams: list, show, stop.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(streams_app, name="streams")


def _service(ctx: typer.Context) -> StreamService:
    return command_services(ctx).services().streams


@streams_app.command("list")
def list_streams(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option(help="Whose streams.")] = DEFAULT_TENANT,
    status: Annotated[str | None, typer.Option(help="Only streams in this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    """One JSON line per stream, newest first."""
    items, _ = _service(ctx).page(tenant, limit, None, status)
    for item in items:
        typer.echo(json.dumps(item))


@streams_app.command("show")
def show(ctx: typer.Context, stream_id: str) -> None:
    """The stream with its segments, as JSON."""
    typer.echo(json.dumps(_service(ctx).get(stream_id, None), indent=2))


@streams_app.command("stop")
def stop(ctx: typer.Context, stream_id: str) -> None:
    """Stop a stream now (audited as the command's user)."""
    body = _service(ctx).stop(stream_id, None, actor=cli_actor())
    typer.echo(f"{body['id']} {body['status']}: {body['reason']}")
