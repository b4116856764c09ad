"""Core commands: ``serve``, ``version``, ``openapi``, ``db upgrade``, ``media add``,
``media erase``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from modgate.audit import cli_actor
from modgate.cli_context import command_services, configure_logging
from modgate.db import upgrade
from modgate.errors import InvalidParameterException, ModgateError
from modgate.version import __version__

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
media_app = typer.Typer(help="Media intake.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("version")(show_version)
    app.command("openapi")(openapi)
    app.add_typer(db_app, name="db")
    app.add_typer(media_app, name="media")


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Migrate the database and serve the HTTP API."""
    # Imported here, not at the top: the web stack (FastAPI, every router, the console's
    # templates, uvicorn) costs about 0.5 s of CPU to import, +25 % on every other command.
    import uvicorn

    from modgate.app import create_app

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = command_services(ctx).settings(**overrides)
    configure_logging(settings)
    app = create_app(settings)
    typer.echo(f"modgate {__version__} serving on http://{settings.host}:{settings.port}")
    if settings.metrics.prometheus == "port":
        from prometheus_client import start_http_server

        metrics = settings.metrics
        start_http_server(
            metrics.prometheus_port,
            metrics.prometheus_host,
            registry=app.state.services.metrics.registry(),
        )
        typer.echo(
            f"Prometheus scrape on http://{metrics.prometheus_host}:{metrics.prometheus_port}/metrics"
        )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())


def show_version() -> None:
    """Print the modgate version."""
    typer.echo(__version__)


def openapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(help="Exit 1 (writing nothing) when OUTPUT differs from the document."),
    ] = False,
) -> None:
    """Print the API's OpenAPI document, as every server serves it at /openapi.json."""
    from modgate.app import openapi_document
    from modgate.openapi_document import render

    text = render(openapi_document())
    if output is None:
        if check:
            raise typer.BadParameter("--check needs --output FILE", param_hint="--check")
        typer.echo(text, nl=False)
        return
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            typer.echo(
                f"{output} is not the served document; run `modgate openapi -o {output}`.", err=True
            )
            raise typer.Exit(1)
        return
    output.write_text(text, encoding="utf-8")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the database to the newest schema."""
    settings = command_services(ctx).settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    typer.echo(f"database is up to date: {_redacted(settings.resolved_database_url)}")


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@media_app.command("add")
def media_add(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Images or videos.")],
) -> None:
    """Intake files: validate, store once by content, make previews. One JSON line per file."""
    media = command_services(ctx).services().media
    failed = None
    for path in files:
        try:
            if not path.is_file():
                raise InvalidParameterException(f"{path}: no such file")
            record, created = media.ingest_path(path)
            typer.echo(json.dumps({"File": str(path)} | record.to_public() | {"created": created}))
        except ModgateError as error:
            failed = error
            typer.echo(
                json.dumps(
                    {"File": str(path), "error": {"code": error.code, "message": error.message}}
                )
            )
            typer.echo(f"{path}: {error.code}: {error.message}", err=True)
    if failed is not None:
        raise typer.Exit(code=2)


@media_app.command("erase")
def media_erase(
    ctx: typer.Context,
    media_id: Annotated[str, typer.Argument(help="The media record's id (med_…).")],
) -> None:
    """Answer an erasure request: delete the media's bytes (original, previews, thumbnails) and
    the personal fields of its moderations; the record, its decisions and hashes stay."""
    erased = command_services(ctx).services().retention.erase(media_id, actor=cli_actor())
    typer.echo(json.dumps(erased))
