"""``modgate labels``: custom labels from a terminal — train from two folders (or two text
files), retrain from reviewed history, list labels and show a label's versions.

Commands act for one tenant (``--tenant``, default ``default``); their changes are audited as
the operator's (``cli:<user>@<host>``). Output is JSON, one object per line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from PIL import Image

from modgate import audit
from modgate.cli_context import command_services
from modgate.errors import InvalidCustomLabelException
from modgate.labels.models import label_public, version_public
from modgate.labels.service import CustomLabelService
from modgate.tenants import DEFAULT_TENANT

labels_app = typer.Typer(help="Custom labels trained on your own examples.", no_args_is_help=True)
Tenant = Annotated[str, typer.Option(help="The tenant whose labels these are.")]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}


def register(app: typer.Typer) -> None:
    app.add_typer(labels_app, name="labels")


def _service(ctx: typer.Context) -> CustomLabelService:
    return command_services(ctx).services().labels


def _echo(value: object) -> None:
    typer.echo(json.dumps(value, default=str))


def read_examples(path: Path, kind: str) -> list[Any]:
    """Images in a folder (recursively), or texts: one per line of a ``.txt`` file, or the
    ``text`` field of each line of a ``.jsonl`` file (a folder of ``.txt`` files: one each)."""
    if kind == "image":
        if not path.is_dir():
            raise InvalidCustomLabelException(f"{path} is not a folder of images")
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        return [Image.open(file).convert("RGB") for file in files]
    if path.is_dir():
        return [p.read_text("utf-8") for p in sorted(path.rglob("*.txt"))]
    lines = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
    if path.suffix == ".jsonl":
        return [str(json.loads(line)["text"]) for line in lines]
    return lines


@labels_app.command("train")
def train(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The label's name, as policies will use it.")],
    positive: Annotated[Path, typer.Option(help="Examples that carry the label.")],
    negative: Annotated[Path, typer.Option(help="Examples that do not.")],
    parent: Annotated[str | None, typer.Option(help="Its v7 parent (default: top level).")] = None,
    kind: Annotated[str, typer.Option(help="image or text")] = "image",
    backbone: Annotated[str | None, typer.Option(help="Embedding model.")] = None,
    tenant: Tenant = DEFAULT_TENANT,
) -> None:
    """Train a new version of a label; it goes live if it is the first or wins its shadow
    evaluation against the live one."""
    service = _service(ctx)
    label = service.describe(tenant, name, kind, parent, backbone)
    version = service.train(
        label,
        read_examples(positive, label.kind),
        read_examples(negative, label.kind),
        audit.cli_actor(),
    )
    _echo(version_public(version))
    if version.status == "failed":
        raise typer.Exit(1)


@labels_app.command("retrain")
def retrain(ctx: typer.Context, name: str, tenant: Tenant = DEFAULT_TENANT) -> None:
    """Retrain from reviewed history: the live version's examples plus every verdict since
    that confirmed, added or rejected the label; shadow-evaluated before it goes live."""
    _echo(version_public(_service(ctx).retrain_from_verdicts(tenant, name, audit.cli_actor())))


@labels_app.command("list")
def list_labels(ctx: typer.Context, tenant: Tenant = DEFAULT_TENANT) -> None:
    """The tenant's custom labels and their live versions."""
    for label in _service(ctx).store.labels(tenant):
        _echo(label_public(label))


@labels_app.command("show")
def show(ctx: typer.Context, name: str, tenant: Tenant = DEFAULT_TENANT) -> None:
    """Every version of a label: status, metrics, shadow evaluation."""
    for version in _service(ctx).store.versions(tenant, name):
        _echo(version_public(version))
