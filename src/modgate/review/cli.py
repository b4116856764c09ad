"""``modgate review queues`` and ``modgate review quality``: the review lane from a terminal."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from modgate.cli_context import command_services
from modgate.review.quality import label_quality
from modgate.review.service import ReviewService

review_app = typer.Typer(
    help="Human review: queues and measured automation quality.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")


def _service(ctx: typer.Context) -> ReviewService:
    return command_services(ctx).services().review


@review_app.command("queues")
def queues(ctx: typer.Context) -> None:
    """One JSON line per queue: waiting, in progress, oldest age, SLA target, over SLA."""
    for stats in _service(ctx).queue_stats():
        typer.echo(json.dumps(stats.to_public()))


@review_app.command("quality")
def quality(
    ctx: typer.Context,
    days: Annotated[float, typer.Option(help="Look back this many days.")] = 30.0,
) -> None:
    """One JSON line per label: flags confirmed/rejected by reviewers, misses, disagreement."""
    service = _service(ctx)
    since = service.clock() - dt.timedelta(days=days)
    with service.sessions() as session:
        for row in label_quality(session, since):
            typer.echo(json.dumps(row))
