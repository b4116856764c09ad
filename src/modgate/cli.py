"""The ``modgate`` command line: a thin typer app over the same services the API uses.

Each domain adds its own commands through ``register(app)`` in ``modgate/<domain>/cli.py``;
this module only wires them together and turns ``ModgateError`` into a one-line message and a
non-zero exit code (never a traceback).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

import typer

import modgate
from modgate.errors import ModgateError

app = typer.Typer(
    help="modgate: self-hosted content moderation for images and video.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Domains that contribute commands; each module defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = (
    "modgate.core_cli",
    "modgate.detection.cli",
    "modgate.policy.cli",
    "modgate.auth.cli",
    "modgate.review.cli",
    "modgate.pipeline.cli",
)


def _register_all() -> None:
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        register: Callable[[typer.Typer], None] = module.register
        register(app)


def fail(error: ModgateError) -> None:
    """Print an error as ``CODE: message`` on stderr and exit with status 2."""
    typer.echo(f"{error.code}: {error.message}", err=True)
    raise typer.Exit(code=2)


def main(argv: list[str] | None = None) -> Any:
    _register_all()
    try:
        return app(args=argv, standalone_mode=True)
    except ModgateError as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        sys.exit(2)


__all__ = ["app", "fail", "main", "modgate"]
