"""Store-backed ``modgate policy`` commands: save, approve, activate, active, history, rollback,
backtest and shadow. Activation goes through the same gate as the console
(``modgate.governance.policy_gate``): the version's cases passed (``save --cases``), a backtest
report attached for the surface (``backtest --attach``) and, when required, approvals by other
editors (``approve``); the acting user is ``cli:<os-user>@<host>``. The database URL comes
from ``--database-url`` or ``MODGATE_DATABASE_URL``
(default: the embedded SQLite file under ``./modgate-data``).

``store_app`` has no name of its own: ``modgate.policy.cli`` adds its commands to
``modgate policy`` beside the file-only ones."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modgate.audit import cli_actor
from modgate.cli_context import command_services
from modgate.db.base import parse_utc
from modgate.errors import InvalidParameterException
from modgate.policy.backtest import format_report, run_backtest, uses_text
from modgate.policy.backtest_plot import plot_sweep
from modgate.policy.history import iter_history
from modgate.policy.history import window_bound as _date
from modgate.policy.loader import load_policy
from modgate.policy.shadow import shadow_report
from modgate.policy.store import SqlPolicyStore

if TYPE_CHECKING:
    from modgate.governance.policy_gate import PolicyGovernance

DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="Database URL.")]
Surface = Annotated[str, typer.Option("--surface", "-s", help="Product surface.")]
store_app = typer.Typer()
shadow_app = typer.Typer(help="Run a candidate policy beside the active one.", no_args_is_help=True)
store_app.add_typer(shadow_app, name="shadow")


def _store(ctx: typer.Context, url: str | None) -> SqlPolicyStore:
    """The policy store of the configured database (``--database-url`` overrides it),
    migrated to the current schema first."""
    return command_services(ctx).services(**({"database_url": url} if url else {})).policies


def _governance(ctx: typer.Context, url: str | None) -> PolicyGovernance:
    return command_services(ctx).services(**({"database_url": url} if url else {})).governance


@store_app.command("save")
def save(
    ctx: typer.Context,
    file: Path,
    note: str = "",
    cases: Annotated[
        Path | None, typer.Option(help="Run these test cases on it and keep the run.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Store a policy version (by content hash); with --cases, run and keep its test cases
    (exits 1 when one fails: the version cannot be activated until they pass)."""
    stored = _store(ctx, database_url).save(load_policy(file), author=cli_actor(), note=note)
    typer.echo(f"saved {stored.name} version {stored.version}")
    if cases is not None:
        try:
            source = cases.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidParameterException(f"{cases}: cannot read the cases: {exc}") from exc
        run = _governance(ctx, None).run_cases(stored.version, source, actor=cli_actor())
        typer.echo(f"{run.total - run.failed}/{run.total} cases passed")
        if not run.passed:
            raise typer.Exit(code=1)


@store_app.command("approve")
def approve(
    ctx: typer.Context, version: str, surface: Surface, database_url: DatabaseUrl = None
) -> None:
    """Approve activating a version on a surface (counts for an activation by someone else)."""
    approval = _governance(ctx, database_url).approve(version, surface, actor=cli_actor())
    typer.echo(f"{surface}: {approval.approver} approved {approval.version[:12]}")


@store_app.command("activate")
def activate(
    ctx: typer.Context,
    version: str,
    surface: Surface,
    note: str = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Make a stored version the active policy of a surface, through the activation gate."""
    activation = _governance(ctx, database_url).activate(
        version, surface, actor=cli_actor(), note=note
    )
    typer.echo(f"{surface}: active version is now {activation.version[:12]}")


@store_app.command("active")
def active(ctx: typer.Context, surface: Surface, database_url: DatabaseUrl = None) -> None:
    """Print the active version of a surface."""
    stored = _store(ctx, database_url).active_for(surface)
    typer.echo(f"{surface}: {stored.name} {stored.version}" if stored else f"{surface}: none")


@store_app.command("history")
def history(ctx: typer.Context, surface: Surface, database_url: DatabaseUrl = None) -> None:
    """Every activation of a surface, newest first."""
    for item in _store(ctx, database_url).history(surface):
        state = "active" if item.deactivated_at is None else f"until {item.deactivated_at:%F %T}"
        typer.echo(
            f"{item.activated_at:%F %T}  {item.version[:12]}  {item.actor:<16} {state}  {item.note}"
        )


@store_app.command("rollback")
def rollback(ctx: typer.Context, surface: Surface, database_url: DatabaseUrl = None) -> None:
    """Re-activate the version that was active before the current one (recorded)."""
    activation = _governance(ctx, database_url).rollback(surface, actor=cli_actor())
    typer.echo(f"{surface}: rolled back to {activation.version[:12]}")


@store_app.command("backtest")
def backtest(
    ctx: typer.Context,
    file: Path,
    since: Annotated[str | None, typer.Option(help="Only moderations from this date.")] = None,
    until: Annotated[str | None, typer.Option(help="Only moderations before this date.")] = None,
    surface: Annotated[
        str | None, typer.Option(help="Only this surface; compared with its active policy.")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the threshold sweep PNG here.")] = None,
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    attach: Annotated[
        bool,
        typer.Option(help="Keep the report with FILE's stored version, for --surface's gate."),
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Replay stored detections through FILE and compare with the active policy."""
    if attach:
        when = _date(since, "--since"), _date(until, "--until")
        _attach(ctx, file, surface, when, output, database_url)
        return
    candidate = load_policy(file)
    store = _store(ctx, database_url)
    policy_settings = command_services(ctx).settings().policy
    stored = store.active_for(surface or policy_settings.default_surface)
    active = stored.load() if stored else None
    items = iter_history(
        store.sessions,
        since=parse_utc(since, "--since"),
        until=parse_utc(until, "--until"),
        surface=surface,
        batch=policy_settings.backtest_batch,
        with_text=uses_text(candidate) or (active is not None and uses_text(active)),
    )
    report = run_backtest(candidate, items, active)
    store.record_backtest(candidate.version, actor=cli_actor(), summary=report.audit_summary())
    if plot is not None:
        plot_sweep(report, str(plot))
    typer.echo(
        json.dumps(report.to_dict(), indent=2) if output == "json" else format_report(report)
    )


def _attach(
    ctx: typer.Context,
    file: Path,
    surface: str | None,
    when: tuple[dt.datetime | None, dt.datetime | None],
    output: str,
    database_url: str | None,
) -> None:
    """The gate's backtest: FILE's stored version over the surface's history, kept."""
    policy = load_policy(file)
    governance = _governance(ctx, database_url)
    since, until = when
    surface = surface or governance.settings.default_surface
    record = governance.backtest(
        policy.version, surface, actor=cli_actor(), since=since, until=until
    )
    if output == "json":
        typer.echo(json.dumps(record.report, indent=2))
    else:
        typer.echo(f"{surface}: backtest {record.id} attached to {policy.version[:12]}")


@shadow_app.command("start")
def shadow_start(
    ctx: typer.Context,
    version: str,
    surface: Surface,
    database_url: DatabaseUrl = None,
) -> None:
    """Evaluate a stored version beside the active one on live traffic."""
    _store(ctx, database_url).start_shadow(version, surface, actor=cli_actor())
    typer.echo(f"{surface}: shadowing {version[:12]}")


@shadow_app.command("stop")
def shadow_stop(
    ctx: typer.Context, version: str, surface: Surface, database_url: DatabaseUrl = None
) -> None:
    _store(ctx, database_url).stop_shadow(version, surface)
    typer.echo(f"{surface}: stopped shadowing {version[:12]}")


@shadow_app.command("report")
def shadow_diff(
    ctx: typer.Context,
    surface: Surface,
    version: Annotated[str | None, typer.Option()] = None,
    since: str | None = None,
    until: str | None = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Diff shadow decisions against the active ones over a time window (JSON)."""
    report = shadow_report(
        _store(ctx, database_url),
        surface,
        candidate_version=version,
        since=parse_utc(since, "--since"),
        until=parse_utc(until, "--until"),
    )
    typer.echo(json.dumps(report.to_dict(), indent=2))
