"""``modgate policy``: check, explain, test, backtest, and manage stored versions.

Thin commands over the loader, engine, case runner, store and backtest. Errors are
``ModgateError``s; the top-level CLI prints them as ``CODE: message`` and exits 2. A failing
``policy test`` exits 1.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from modgate.errors import InvalidParameterException, PolicyCasesError
from modgate.policy.cases import run_cases
from modgate.policy.cli_store import store_app
from modgate.policy.cli_tune import tune
from modgate.policy.context import Context
from modgate.policy.engine import evaluate
from modgate.policy.loader import load_policy
from modgate.taxonomy.rekognition_json import detections_from_json

policy_app = typer.Typer(
    help="Write, check, test and roll out moderation policies.", no_args_is_help=True
)


@policy_app.command("check")
def check(file: Annotated[Path, typer.Argument(help="Policy YAML file.")]) -> None:
    """Validate a policy; problems are printed as file:line:column."""
    policy = load_policy(file)
    for warning in policy.warnings:
        typer.echo(warning)
    overlays = ", ".join(layer.id for layer in policy.overlays) or "none"
    typer.echo(
        f"{file}: ok — policy {policy.name} version {policy.version[:12]} "
        f"({len(policy.base.categories)} category rules, overlays: {overlays})"
    )


@policy_app.command("explain")
def explain(
    file: Annotated[Path, typer.Argument(help="Policy YAML file.")],
    detections: Annotated[
        Path,
        typer.Option(
            "--detections", "-d", help="DetectModerationLabels JSON (modgate scan output)."
        ),
    ],
    context: Annotated[
        str, typer.Option("--context", "-c", help="key=value,... e.g. region=DE,surface=kids")
    ] = "",
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    now: Annotated[str | None, typer.Option(help="Clock for timezone contexts (ISO 8601).")] = None,
) -> None:
    """Evaluate one detection response and print how the decision was reached."""
    policy = load_policy(file)
    try:
        found = detections_from_json(json.loads(detections.read_text("utf-8")))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidParameterException(
            f"{detections}: cannot read detections JSON: {exc}"
        ) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidParameterException(
            f"{detections}: not DetectModerationLabels JSON: {exc!r}"
        ) from exc
    clock = _clock(now)
    decision = evaluate(policy, found, Context.parse(context, now=clock))
    if output == "json":
        typer.echo(json.dumps(decision.to_dict(), indent=2))
    elif output == "text":
        typer.echo(decision.explain())
    else:
        raise InvalidParameterException(f"--format must be text or json, not {output!r}")


@policy_app.command("test")
def test(
    file: Annotated[Path, typer.Argument(help="Policy YAML file.")],
    cases: Annotated[Path, typer.Argument(help="Cases YAML file.")],
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run test cases against a policy; exits 1 when any case fails."""
    policy = load_policy(file)
    results = run_cases(policy, cases)
    failed = [r for r in results if not r.passed]
    for result in results:
        if verbose or not result.passed:
            mark = "PASS" if result.passed else "FAIL"
            typer.echo(f"{mark} {result.name} ({result.where})")
            for problem in result.problems:
                typer.echo(f"     {problem}")
            if not result.passed and result.decision is not None:
                typer.echo("     " + result.decision.explain().replace("\n", "\n     "))
    typer.echo(f"{len(results) - len(failed)}/{len(results)} cases passed")
    if failed:
        raise typer.Exit(code=1)


def _clock(now: str | None) -> dt.datetime | None:
    if now is None:
        return None
    try:
        return dt.datetime.fromisoformat(now)
    except ValueError as exc:
        raise InvalidParameterException(f"--now {now!r} is not an ISO 8601 date-time") from exc


# The store-backed commands (save … backtest, shadow, tune) after the file-only ones.
policy_app.add_typer(store_app)
policy_app.command("tune")(tune)


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")


__all__ = ["PolicyCasesError", "policy_app", "register"]
