"""``modgate review queues`` and ``modgate review quality``: the review lane from a terminal."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from modgate.db import open_database
from modgate.review.quality import label_quality
from modgate.review.service import ReviewService
from modgate.settings import load_settings

review_app = typer.Typer(
    help="Human review: queues and measured automation quality.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")


def _service() -> ReviewService:
    settings = load_settings()
    return ReviewService(open_database(settings), settings.review)


@review_app.command("queues")
def queues() -> None:
    """One JSON line per queue: waiting, in progress, oldest age, SLA target, over SLA."""
    for stats in _service().queue_stats():
        typer.echo(json.dumps(stats.to_public()))


@review_app.command("quality")
def quality(days: Annotated[float, typer.Option(help="Look back this many days.")] = 30.0) -> None:
    """One JSON line per label: flags confirmed/rejected by reviewers, misses, disagreement."""
    service = _service()
    since = service.clock() - dt.timedelta(days=days)
    with service.sessions() as session:
        for row in label_quality(session, since):
            typer.echo(json.dumps(row))
