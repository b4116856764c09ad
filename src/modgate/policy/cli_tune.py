"""``modgate policy tune``: thresholds from the checked decisions, as a candidate policy.

Reads one tenant's checked decisions (routed reviews and blind quality checks, weighted by
``1/π``) through the metrics service, computes the curves and recommendations of
``modgate.policy.tuning`` and writes to ``--output``: the candidate policy (the policy's YAML
with the tuned thresholds, commented), ``report.json`` and the curves as ``curves.png`` and
``curves.svg``. The candidate is then backtested, saved and activated through the gate like any
other policy. Exits 1, writing no candidate, when no threshold changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from modgate.audit import cli_actor
from modgate.cli_context import command_services
from modgate.db.base import parse_utc, utcnow
from modgate.errors import InvalidParameterException
from modgate.policy.loader import load_policy
from modgate.policy.tuning import MIN_EXAMPLES, MIN_FOUND, Targets, TuningQuery
from modgate.policy.tuning_plot import plot_curves
from modgate.policy.tuning_policy import candidate_source
from modgate.policy.tuning_report import TuningReport, figures
from modgate.tenants import DEFAULT_TENANT, checked_tenant


def parse_targets(targets: list[str], max_review_ratio: float | None, confidence: float) -> Targets:
    """``precision=0.98``/``recall=0.9`` and the review budget as ``Targets``; each a share
    between 0 and 1 (``InvalidParameterException`` otherwise, or when none is given)."""
    asked: dict[str, float] = {}
    for text in targets:
        name, _, value = text.partition("=")
        name = name.strip().lower()
        if name not in ("precision", "recall"):
            raise InvalidParameterException(
                f"--target {text!r}: name precision or recall, e.g. precision=0.98"
            )
        asked[name] = _share(value, f"--target {name}", low_open=True)
    if max_review_ratio is not None:
        _share(str(max_review_ratio), "--max-review-ratio")
    if not asked and max_review_ratio is None:
        raise InvalidParameterException(
            "give --target precision=…, --target recall=… or --max-review-ratio"
        )
    _share(str(confidence), "--confidence", low_open=True)
    if confidence >= 1:
        raise InvalidParameterException("--confidence must be below 1, e.g. 0.95")
    return Targets(asked.get("precision"), asked.get("recall"), max_review_ratio, confidence)


def _share(text: str, name: str, *, low_open: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidParameterException(f"{name}: {text!r} is not a number") from None
    if not (0 < value <= 1 if low_open else 0 <= value <= 1):
        raise InvalidParameterException(f"{name} must be a share between 0 and 1, not {text}")
    return value


def tune(
    ctx: typer.Context,
    policy_file: Annotated[Path, typer.Argument(metavar="POLICY", help="Policy YAML file.")],
    target: Annotated[
        list[str] | None,
        typer.Option(help="precision=0.98 (block) or recall=0.9 (review); repeatable."),
    ] = None,
    max_review_ratio: Annotated[
        float | None, typer.Option(help="At most this share of decisions in a review band.")
    ] = None,
    confidence: Annotated[float, typer.Option(help="Of the lower bounds.")] = 0.95,
    since: Annotated[str | None, typer.Option(help="Decisions from this date.")] = None,
    until: Annotated[str | None, typer.Option(help="Decisions before this date.")] = None,
    surface: Annotated[str | None, typer.Option(help="Only this surface.")] = None,
    category: Annotated[
        list[str] | None, typer.Option(help="Only this top-level category; repeatable.")
    ] = None,
    tenant: Annotated[str, typer.Option(help="Whose decisions.")] = DEFAULT_TENANT,
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write to.")] = Path(
        "tuning"
    ),
    min_examples: Annotated[int, typer.Option(min=1)] = MIN_EXAMPLES,
    min_found: Annotated[int, typer.Option(min=1)] = MIN_FOUND,
    database_url: Annotated[str | None, typer.Option(help="Database URL.")] = None,
) -> None:
    """Recommend thresholds meeting precision/recall targets (lower confidence bounds) from
    the checked decisions; write a candidate policy, report.json, curves.png and curves.svg."""
    targets = parse_targets(target or [], max_review_ratio, confidence)
    start, end = parse_utc(since, "--since"), parse_utc(until, "--until")
    if start is not None and end is not None and start >= end:
        raise InvalidParameterException("--since must be before --until.")
    policy = load_policy(policy_file)
    query = TuningQuery(checked_tenant(tenant), start, end, surface)
    services = command_services(ctx).services(
        **({"database_url": database_url} if database_url else {})
    )
    report = services.metrics.tuning(
        policy,
        query,
        targets,
        categories=tuple(category or ()),
        min_examples=min_examples,
        min_found=min_found,
    )
    output.mkdir(parents=True, exist_ok=True)
    (output / "report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n", "utf-8")
    plot_curves(report, [output / "curves.png", output / "curves.svg"])
    for line in describe(report):
        typer.echo(line)
    if not report.changes:
        typer.echo(f"no threshold changed: no candidate written (report in {output})")
        raise typer.Exit(code=1)
    candidate = output / f"{policy_file.stem}.tuned.yaml"
    notes = {c: _note(report, c) for c in report.changes}
    candidate.write_text(candidate_source(policy, report.changes, _header(report), notes), "utf-8")
    typer.echo(f"wrote {candidate}, {output / 'report.json'}, curves.png and curves.svg")
    typer.echo(f"next: modgate policy backtest {candidate}")


def _header(report: TuningReport) -> list[str]:
    targets = report.targets
    asked = [
        f"{name} ≥ {value}"
        for name, value in (("precision", targets.precision), ("recall", targets.recall))
        if value is not None
    ]
    if targets.max_review_ratio is not None:
        asked.append(f"review band ≤ {targets.max_review_ratio} of decisions")
    window = report.window
    return [
        f"Candidate thresholds from `modgate policy tune` ({utcnow():%Y-%m-%d %H:%M} UTC,"
        f" by {cli_actor()})",
        f"of policy {report.policy.name} {report.policy.version[:12]}: "
        f"{', '.join(asked)} at the {targets.confidence:.0%} lower bound,",
        f"over {report.examples} checked decisions and {report.decisions} decisions of tenant "
        f"{window.get('tenant')} (since {window.get('since') or 'the start'}, until "
        f"{window.get('until') or 'now'}, surface {window.get('surface') or 'any'}).",
        f"Tuned: {', '.join(sorted(report.changes))}. Backtest and activate through the gate.",
        "",
    ]


def _note(report: TuningReport, category: str) -> str:
    curve, item = report.curves[category], report.recommendations[category]
    after = figures(curve, item.proposed)
    precision, recall = after["precision"]["low"], after["recall"]["low"]
    parts = [f"{curve.examples} checked"]
    if precision is not None:
        parts.append(f"precision ≥ {precision:.3f}")
    if recall is not None:
        parts.append(f"recall ≥ {recall:.3f}")
    return ", ".join(parts)


def _percent(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def describe(report: TuningReport) -> list[str]:
    """One line per category: its status, thresholds, and the expected change."""
    lines = [
        f"{report.policy.name} {report.policy.version[:12]}: {report.examples} checked "
        f"decisions, {report.decisions} decisions",
    ]
    data = report.to_dict()["categories"]
    for name, item in data.items():
        now, new = item["expected"]["current"], item["expected"]["proposed"]
        line = f"{name}: {item['status']} — {item['reason']}"
        if item["current"] is not None:
            line += (
                f"; blocked {_percent(now['block_share'])} → {_percent(new['block_share'])}"
                f", review {_percent(now['review_share'])} → {_percent(new['review_share'])}"
                f", precision {_percent(now['precision']['rate'])} → "
                f"{_percent(new['precision']['rate'])}, recall {_percent(now['recall']['rate'])}"
                f" → {_percent(new['recall']['rate'])}"
            )
        lines.append(line)
    return lines
