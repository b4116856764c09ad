"""``modgate decide``: decisions for a viewer's context, from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from modgate.cli_context import command_services
from modgate.policy.context import context_pairs


def register(app: typer.Typer) -> None:
    app.command("decide")(decide)


def decide(
    ctx: typer.Context,
    moderation_ids: Annotated[list[str], typer.Argument(help="Moderation ids.")],
    context: Annotated[
        str,
        typer.Option(
            help="The viewer: region=US-UT,audience=12,local_time=21:30,surface=kids,… "
            "(or timezone=America/Denver for the time there now)."
        ),
    ] = "",
    tenant: Annotated[
        str | None, typer.Option(help="Only this tenant's moderations (default: any tenant's).")
    ] = None,
    policy_version: Annotated[
        str | None, typer.Option(help="Decide with this stored policy version.")
    ] = None,
) -> None:
    """Decide stored moderations again for one viewer's context, from their stored detections
    (nothing is detected or written); one JSON line per moderation, in the order given. Exits 2
    when one is not found."""
    viewer = command_services(ctx).services().viewer
    decided = viewer.decide_many(moderation_ids, context_pairs(context), tenant, policy_version)
    for decision in decided:
        typer.echo(json.dumps(decision.to_dict(), ensure_ascii=False))
    if any(decision.status == "not_found" for decision in decided):
        raise typer.Exit(code=2)
