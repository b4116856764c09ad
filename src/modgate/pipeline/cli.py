"""Pipeline commands: ``worker``, ``jobs list|retry|cancel``, ``submit`` (bulk, with progress)."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any, Literal

import typer
from tqdm import tqdm

from modgate import audit
from modgate.cli_context import command_services, configure_logging
from modgate.errors import InvalidParameterException, ModgateError
from modgate.media.s3_blobstore import s3_error, s3_errors
from modgate.pipeline.executor import PollingWorkers, worker_name
from modgate.pipeline.runtime import Pipeline
from modgate.pipeline.settings import PipelineSettings
from modgate.policy.context import context_pairs
from modgate.processes import process_alive
from modgate.services import Services
from modgate.settings import Settings

jobs_app = typer.Typer(help="Inspect and steer jobs.", no_args_is_help=True)
# An S3 prefix is listed by these names: finding out from the bytes would download every object.
MEDIA_SUFFIXES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".gif",
    ".bmp",
    ".tif",
    ".tiff",
    ".avif",
    ".mp4",
    ".mov",
    ".webm",
    ".mkv",
    ".avi",
    ".m4v",
}


# What ``submit --process`` prints of each decided item.
DECIDED_KEYS = ("id", "status", "action", "rule", "final_action")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("submit")(submit)
    app.add_typer(jobs_app, name="jobs")


def _logged_services(ctx: typer.Context, role: Literal["worker", "cli"]) -> Services:
    """The run's services, with logging configured as the settings say."""
    run = command_services(ctx)
    configure_logging(run.settings())
    return run.services(role)


def worker(
    ctx: typer.Context,
    concurrency: Annotated[int | None, typer.Option(help="Jobs run at once.")] = None,
) -> None:
    """Run jobs: a Celery worker when the executor is celery, else a polling worker pool. It
    also deletes the media due under each tenant's retention settings, every
    MODGATE_RETENTION_EVERY_MINUTES (0: never)."""
    # The pipeline (webhook dispatcher, detection engine) stops with the run's services,
    # when the command returns.
    services = _logged_services(ctx, "worker")
    pipeline = services.pipeline
    settings = pipeline.settings
    count = concurrency or max(1, settings.workers)
    pipeline.engine()  # a detector that cannot load stops the worker now
    pipeline.jobs.release_orphans(socket.gethostname(), process_alive)
    pipeline.dispatcher.start()
    services.stream_workers.start()  # live streams are held by workers too
    every = services.settings.retention_every_minutes
    retention = services.retention.loop(every * 60) if every else None
    try:
        _run_worker(pipeline, settings, count)
    finally:
        if retention is not None:
            retention.stop()


def _run_worker(pipeline: Pipeline, settings: PipelineSettings, count: int) -> None:
    if settings.executor != "celery":
        pool = PollingWorkers(pipeline.runner, count, settings.poll_seconds, name="worker")
        pool.start()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        typer.echo(f"modgate worker: {count} threads polling the database")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        pool.stop()
        return
    # Imported here, not at the top: Celery is the optional ``celery`` extra.
    from modgate.pipeline.celery_app import bind_runner, make_celery

    name = worker_name("celery")
    bind_runner(lambda job_id: pipeline.runner.run_id(job_id, name))
    # The database is the source of truth: one extra thread picks up jobs whose broker
    # message was lost or whose worker died (expired lease).
    sweeper = PollingWorkers(pipeline.runner, 1, max(settings.poll_seconds, 1.0), name="sweep")
    sweeper.start()
    app = make_celery(settings.broker_url)
    try:
        app.worker_main(
            argv=[
                "worker",
                "--pool=threads",
                f"--concurrency={count}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname={name}",
            ]
        )
    finally:
        sweeper.stop()


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many jobs at most.")] = 50,
) -> None:
    """Recent jobs, newest first."""
    jobs = command_services(ctx).services().jobs
    for row in jobs.recent(status.value if status else None, limit):
        typer.echo(
            f"{row.id}  {row.status:<9}  tries {row.attempts}/{row.max_attempts}  "
            f"{row.moderation_id}  {row.created_at:%Y-%m-%d %H:%M:%S}  "
            f"{(row.last_error or '')[:80]}"
        )


@jobs_app.command("retry")
def jobs_retry(ctx: typer.Context, job_id: str) -> None:
    """Queue a failed or cancelled job again (the review its failure opened is withdrawn)."""
    command_services(ctx).services().pipeline.processor.retry(job_id, audit.cli_actor())
    typer.echo(f"{job_id}: retry done")


@jobs_app.command("cancel")
def jobs_cancel(ctx: typer.Context, job_id: str) -> None:
    """Cancel a queued job; its item goes to review, as one whose processing failed."""
    command_services(ctx).services().pipeline.processor.cancel(job_id, audit.cli_actor())
    typer.echo(f"{job_id}: cancel done")


def _local_files(path: Path) -> Iterator[Path]:
    """Every regular file named or inside a folder named (hidden ones aside). The type comes
    from the bytes, not the name: a file that is not an image or video is refused and reported
    like any other bad upload, never skipped silently."""
    if path.is_dir():
        yield from sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    elif path.is_file():
        yield path
    elif path.exists():
        raise InvalidParameterException(f"{path}: not a regular file or folder")
    else:
        raise InvalidParameterException(f"{path}: no such file or folder")


def submit(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, folders (every file in them; ones that are not media are reported) or "
            "s3://bucket/prefix (objects with image or video file names)."
        ),
    ] = None,
    context: Annotated[str, typer.Option(help="region=DE,surface=kids,…")] = "",
    process: Annotated[bool, typer.Option(help="Run the jobs here and print decisions.")] = False,
    texts: Annotated[
        Path | None,
        typer.Option(
            "--texts",
            exists=True,
            dir_okay=False,
            help='JSON Lines of texts: {"text": "…", "language"?, "context"?, "external_id"?, '
            '"metadata"?} per line.',
        ),
    ] = None,
) -> None:
    """Submit many files or texts for moderation, with a progress bar; one JSON line per item."""
    if not paths and texts is None:
        raise typer.BadParameter("give files, folders or --texts FILE.jsonl")
    services = _logged_services(ctx, "cli")
    pipeline = services.pipeline
    parsed = context_pairs(context)
    sources = list(_sources(paths or [], services.settings))
    failures = 0
    submitted: list[tuple[str, str]] = []
    if texts is not None:
        failures, submitted = _submit_texts(pipeline, texts, parsed, process)
    for name, opener in tqdm(sources, desc="submit", unit="file", disable=False):
        try:
            with opener() as stream:
                moderation, _created = pipeline.moderations.submit(
                    stream=stream, context=parsed, actor=audit.cli_actor()
                )
            submitted.append((name, moderation["id"]))
            if not process:
                typer.echo(
                    json.dumps(
                        {"File": name, "id": moderation["id"], "status": moderation["status"]}
                    )
                )
        except ModgateError as error:
            failures += 1
            typer.echo(
                json.dumps({"File": name, "error": {"code": error.code, "message": error.message}})
            )
        except OSError as error:  # gone or unreadable since the folder was listed
            failures += 1
            message = f"cannot be read: {error.strerror or error}"
            typer.echo(
                json.dumps(
                    {
                        "File": name,
                        "error": {"code": "InvalidParameterException", "message": message},
                    }
                )
            )
    if process:
        for name, moderation_id in tqdm(submitted, desc="moderate", unit="item", disable=False):
            job_id = pipeline.moderations._job_id(moderation_id)
            if job_id:
                pipeline.run_job_inline(job_id)
            result = pipeline.moderations.get(moderation_id)
            typer.echo(json.dumps({"File": name} | {key: result[key] for key in DECIDED_KEYS}))
    if failures:
        raise typer.Exit(code=2)


def _submit_texts(
    pipeline: Pipeline, path: Path, context: dict[str, Any], process: bool
) -> tuple[int, list[tuple[str, str]]]:
    """Submit each line of a JSON Lines file of texts; a bad line is reported on its own JSON
    line (its number as ``Line``) and the others are still submitted."""
    failures = 0
    submitted: list[tuple[str, str]] = []
    with path.open("rb") as lines:
        for number, raw in enumerate(tqdm(lines, desc="submit", unit="text"), start=1):
            name = f"{path}:{number}"
            if not raw.strip():
                continue
            try:
                item = _text_line(raw)
                moderation, _created = pipeline.moderations.submit(
                    text=item["text"],
                    language=item.get("language"),
                    context=context | dict(item.get("context") or {}),
                    external_id=item.get("external_id"),
                    metadata=item.get("metadata"),
                )
            except ModgateError as error:
                failures += 1
                failure = {"code": error.code, "message": error.message}
                typer.echo(json.dumps({"Line": number, "error": failure}))
                continue
            submitted.append((name, moderation["id"]))
            if not process:
                status = moderation["status"]
                typer.echo(json.dumps({"Line": number, "id": moderation["id"], "status": status}))
    return failures, submitted


def _text_line(raw: bytes) -> dict[str, Any]:
    try:
        item = json.loads(raw)
    except ValueError as exc:  # bad JSON or bad UTF-8
        raise InvalidParameterException(f"the line is not JSON: {exc}") from exc
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise InvalidParameterException('each line must be an object with a "text" string')
    for key, kind in (("context", dict), ("metadata", dict), ("language", str)):
        if item.get(key) is not None and not isinstance(item[key], kind):
            raise InvalidParameterException(f"{key!r} must be a {kind.__name__}")
    return item


Opener = Callable[[], IO[bytes]]


def _sources(paths: list[str], settings: Settings) -> Iterator[tuple[str, Opener]]:
    for item in paths:
        if item.startswith("s3://"):
            yield from _s3_sources(item, settings)
        else:
            for path in _local_files(Path(item)):
                yield str(path), functools.partial(_open, path)


def _open(path: Path) -> IO[bytes]:
    return path.open("rb")


def _s3_sources(url: str, settings: Settings) -> Iterator[tuple[str, Opener]]:
    """The media-named objects under an ``s3://bucket/prefix``. S3's refusals (no such bucket,
    credentials, an object gone since the listing) are reported like any other bad input:
    ``CODE: message`` for the listing, one error line for an object."""
    import boto3  # the optional ``s3`` extra

    bucket, _, prefix = url[len("s3://") :].partition("/")
    args: dict[str, Any] = {"region_name": settings.s3_region}
    if settings.s3_endpoint_url:
        args["endpoint_url"] = settings.s3_endpoint_url
    client = boto3.client("s3", **args)

    def read(key: str) -> io.BytesIO:
        try:
            return io.BytesIO(client.get_object(Bucket=bucket, Key=key)["Body"].read())
        except s3_errors() as exc:
            raise s3_error(exc, bucket, key) from exc

    try:
        listing = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        pages = list(listing)
    except s3_errors() as exc:
        raise s3_error(exc, bucket, prefix) from exc
    for page in pages:
        for item in page.get("Contents", []):
            key = item["Key"]
            if Path(key).suffix.lower() in MEDIA_SUFFIXES:
                yield f"s3://{bucket}/{key}", functools.partial(read, key)
