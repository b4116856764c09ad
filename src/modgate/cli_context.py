"""How a command reaches the settings and services of its run, without building them itself.

The ``modgate`` entry (``modgate.cli``) puts one ``CommandServices`` on the root typer context
for each run: the settings are read once, and the services built once, when a command first
asks (``modgate version`` builds nothing; ``modgate scan`` reads settings and opens no
database), and closed when the command ends. A command takes ``ctx: typer.Context`` and calls
``command_services(ctx)``; domain ``cli.py`` modules so never import the composition root.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from modgate.settings import Settings

if TYPE_CHECKING:  # types only: the entry hands the builder in
    from modgate.services import Role, Services


class CommandServices:
    """The settings and services of one command-line run, each built once, on first use.

    ``settings(**overrides)`` reads the settings (``MODGATE_*``, the config file) with the
    command's own options on top, through ``load``; ``services(role)`` builds the services from
    them, through ``build``. Only the first call's overrides and role count: a run is one
    command.
    """

    def __init__(
        self, load: Callable[..., Settings], build: Callable[[Settings, Role], Services]
    ) -> None:
        self._load = load
        self._build = build
        self._settings: Settings | None = None
        self._services: Services | None = None

    def settings(self, **overrides: object) -> Settings:
        if self._settings is None:
            self._settings = self._load(**overrides)
        elif overrides:
            raise RuntimeError("settings are read once per run; give overrides on first use")
        return self._settings

    def services(self, role: Role = "cli", /, **overrides: object) -> Services:
        if self._services is None:
            self._services = self._build(self.settings(**overrides), role)
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
            self._services = None


def command_services(ctx: typer.Context) -> CommandServices:
    """This run's ``CommandServices`` (put on the root context by ``modgate.cli``)."""
    found = ctx.find_object(CommandServices)
    if found is None:
        raise RuntimeError("commands run through modgate.cli.app, which provides their services")
    return found


def configure_logging(settings: Settings) -> None:
    """Log as the settings say (``MODGATE_LOG_LEVEL``), for commands that run for a while."""
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
