"""The ``modgate`` command line: a thin typer app over the same services the API uses.

Each domain adds its own commands through ``register(app)`` in ``modgate/<domain>/cli.py``;
this module only wires them together and turns ``ModgateError`` into a one-line message and a
non-zero exit code (never a traceback). It also hands every command the run's settings and
services (``modgate.cli_context``): read and built once, when a command first asks.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

import modgate
from modgate import core_cli
from modgate.audit import cli as audit_cli
from modgate.auth import cli as auth_cli
from modgate.banks import cli as banks_cli
from modgate.cli_context import CommandServices
from modgate.detection import cli as detection_cli
from modgate.errors import ModgateError
from modgate.governance import cli as governance_cli
from modgate.labels import cli as labels_cli
from modgate.metrics import cli as metrics_cli
from modgate.pipeline import cli as pipeline_cli
from modgate.policy import cli as policy_cli
from modgate.review import cli as review_cli
from modgate.services import Services
from modgate.settings import load_settings
from modgate.streams import cli as streams_cli
from modgate.viewer import cli as viewer_cli

app = typer.Typer(
    help="modgate: self-hosted content moderation for images and video.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

for domain in (
    core_cli,
    detection_cli,
    policy_cli,
    auth_cli,
    review_cli,
    pipeline_cli,
    governance_cli,
    viewer_cli,
    banks_cli,
    labels_cli,
    audit_cli,
    metrics_cli,
    streams_cli,
):
    domain.register(app)


@app.callback()
def run(ctx: typer.Context) -> None:
    """modgate: self-hosted content moderation for images and video."""
    # The one place the command line reads settings and builds services: once per run, on
    # first use, closed when the command ends.
    if ctx.obj is None:
        ctx.obj = CommandServices(load_settings, Services.build)
        ctx.call_on_close(ctx.obj.close)


def fail(error: ModgateError) -> None:
    """Print an error as ``CODE: message`` on stderr and exit with status 2."""
    typer.echo(f"{error.code}: {error.message}", err=True)
    raise typer.Exit(code=2)


def main(argv: list[str] | None = None) -> Any:
    try:
        return app(args=argv, standalone_mode=True)
    except ModgateError as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        sys.exit(2)


__all__ = ["app", "fail", "main", "modgate"]
