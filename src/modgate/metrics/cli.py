"""``modgate metrics``: the operations summary from a terminal, as a table or JSON."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from modgate.cli_context import command_services
from modgate.db.base import parse_utc
from modgate.errors import InvalidParameterException
from modgate.metrics.summary import SummaryQuery
from modgate.tenants import DEFAULT_TENANT, checked_tenant


def register(app: typer.Typer) -> None:
    app.command("metrics")(metrics)


def metrics(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Start, ISO 8601 (inclusive).")] = None,
    until: Annotated[str | None, typer.Option(help="End, ISO 8601 (exclusive).")] = None,
    surface: Annotated[str | None, typer.Option(help="Only this surface.")] = None,
    region: Annotated[str | None, typer.Option(help="Only this region.")] = None,
    queue: Annotated[str | None, typer.Option(help="Review figures of this queue.")] = None,
    tenant: Annotated[str, typer.Option(help="Whose moderations.")] = DEFAULT_TENANT,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """The operations summary: volumes and action shares, review time, disagreement, appeals,
    policy changes, queues, and per-category error rates with their intervals."""
    start, end = parse_utc(since, "--since"), parse_utc(until, "--until")
    if start is not None and end is not None and start >= end:
        raise InvalidParameterException("--since must be before --until.")
    query = SummaryQuery(checked_tenant(tenant), start, end, surface, region, queue)
    found = command_services(ctx).services().metrics.summary(query)
    typer.echo(json.dumps(found, indent=2) if as_json else render_table(found))


def _show(value: Any, percent: bool = False) -> str:
    if value is None:
        return "-"
    if percent:
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def render_table(found: dict[str, Any]) -> str:
    """The summary as aligned text: the figures, then one line per category."""
    rows = [
        ("total", _show(found["total"])),
        *[(f"  {action}", _show(share, True)) for action, share in found["actions"].items()],
        ("average review seconds", _show(found["average_review_seconds"])),
        ("p90 review seconds", _show(found["p90_review_seconds"])),
        ("disagreement rate", _show(found["disagreement_rate"], True)),
        ("appeal overturn rate", _show(found["appeal_overturn_rate"], True)),
        ("policy changes", _show(found["policy_changes"])),
        ("queue depth", _show(found["queue_depth"])),
        ("oldest pending seconds", _show(found["oldest_pending_seconds"])),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    lines.append("")
    header = ("category", "flagged", "false pos. (95% CI)", "false neg. (95% CI)", "n fp/fn")
    table = [header]
    for name, item in found["categories"].items():
        low, high, size = item["ci_low"], item["ci_high"], item["sample_size"]
        table.append(
            (
                name,
                str(item["flagged"]),
                _rate(item["false_positive_rate"], low, high, "false_positive_rate"),
                _rate(item["false_negative_rate"], low, high, "false_negative_rate"),
                f"{size['false_positive_rate']}/{size['false_negative_rate']}",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def _rate(rate: float | None, low: dict[str, Any], high: dict[str, Any], key: str) -> str:
    if rate is None:
        return "-"
    return f"{_show(rate, True)} ({_show(low[key], True)}-{_show(high[key], True)})"
