"""Detection commands: ``modgate scan`` (labels of local files), ``modgate detectors``,
``modgate eval`` (precision/recall on a labelled folder).

``scan`` validates every file through media intake first, so a bad file gets its own stable
error code (``EmptyMediaException``, ``TruncatedMediaException`` …) on its JSON line and on
stderr, the remaining files are still scanned, and the exit status is 2 when any file failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from PIL import Image

from modgate.cli_context import command_services
from modgate.detection.cache import InMemoryDetectionCache
from modgate.detection.engine import DetectionEngine
from modgate.detection.evaluation import run_evaluation
from modgate.detection.result import DetectionResult
from modgate.errors import CorruptMediaException, ModgateError, ResourceNotFoundException
from modgate.media import inspect_path
from modgate.settings import Settings
from modgate.taxonomy.rekognition_json import image_body


def scan_file(
    engine: DetectionEngine, settings: Settings, path: Path, min_confidence: float
) -> dict[str, Any]:
    """One output line for ``path``: a DetectModerationLabels body, or a video's timestamps."""
    if not path.is_file():
        raise ResourceNotFoundException(f"{path} does not exist or is not a file")
    info = inspect_path(path, settings)
    if info.kind == "video":
        labels = []
        content_types: list[dict[str, Any]] = []
        for timestamp, result in engine.detect_video(str(path), settings.detection.video_fps):
            body = image_body(result.detections, min_confidence)
            for label in body["ModerationLabels"]:
                labels.append(
                    {
                        "Timestamp": timestamp,
                        "ModerationLabel": label,
                        "ContentTypes": body["ContentTypes"],
                    }
                )
            content_types.extend(body["ContentTypes"])
        return {
            "File": str(path),
            "ModerationLabels": labels,
            "ModerationModelVersion": engine.model_version,
            "VideoMetadata": {
                "Format": info.format,
                "Codec": info.codec,
                "DurationMillis": round((info.duration_seconds or 0) * 1000),
                "FrameRate": info.frame_rate,
                "FrameWidth": info.width,
                "FrameHeight": info.height,
            },
        }
    try:
        with Image.open(path) as image:
            # Not loaded here: the engine decodes it only as large as its detectors need.
            result = engine.detect_image(image, sha256=info.sha256)
    except (OSError, ValueError) as exc:
        raise CorruptMediaException(f"{path} cannot be decoded: {exc}") from exc
    return {"File": str(path), **image_body(result.detections, min_confidence)}


def format_table(line: dict[str, Any]) -> str:
    """A human-readable block for one output line."""
    rows = [f"{line['File']}"]
    if "Error" in line:
        return rows[0] + f"\n  error  {line['Error']['Code']}: {line['Error']['Message']}"
    labels = line.get("ModerationLabels", [])
    if not labels:
        rows.append("  (no label at or above the minimum confidence)")
    for label in labels:
        timestamp = ""
        if "Timestamp" in label:
            timestamp, label = f"{label['Timestamp'] / 1000:8.1f}s ", label["ModerationLabel"]
        indent = "  " * label["TaxonomyLevel"]
        rows.append(f"  {timestamp}{label['Confidence']:6.1f}  {indent}{label['Name']}")
    for content_type in line.get("ContentTypes", []):
        rows.append(f"  {content_type['Confidence']:6.1f}  content type: {content_type['Name']}")
    for text in line.get("TextDetections", []):
        rows.append(f"  text {text['Confidence']:5.1f}: {text['DetectedText']}")
    return "\n".join(rows)


def scan(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Images and videos to scan.")],
    min_confidence: Annotated[
        float | None,
        typer.Option(
            "--min-confidence",
            min=0,
            max=100,
            help="Report labels at or above this confidence "
            "(default: MODGATE_DETECTION__MIN_CONFIDENCE, 50).",
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="json (JSON Lines) or table.")
    ] = "json",
) -> None:
    """Detect moderation labels in local files; one JSON line per file, as Rekognition answers."""
    if output_format not in ("json", "table"):
        raise typer.BadParameter("use json or table", param_hint="--format")
    settings = command_services(ctx).settings()
    threshold = settings.detection.min_confidence if min_confidence is None else min_confidence
    engine = DetectionEngine.from_settings(
        settings, cache=InMemoryDetectionCache(settings.detection.cache_entries)
    )
    failed = False
    with engine:
        for path in files:
            try:
                line = scan_file(engine, settings, path, threshold)
            except ModgateError as error:
                failed = True
                typer.echo(f"{path}: {error.code}: {error.message}", err=True)
                line = {"File": str(path), "Error": {"Code": error.code, "Message": error.message}}
            typer.echo(json.dumps(line) if output_format == "json" else format_table(line))
    if failed:
        raise typer.Exit(code=2)


def detectors(ctx: typer.Context) -> None:
    """List the detectors that would run, their versions and the labels they can emit."""
    engine = DetectionEngine.from_settings(command_services(ctx).settings())
    with engine:
        typer.echo(f"ModerationModelVersion: {engine.model_version}")
        for item in engine.describe():
            kinds = ", ".join(item["labels"] + item["content_types"]) or "text"
            where = " (remote, per the cascade)" if item["remote"] else ""
            typer.echo(f"  {item['name']} {item['version']}{where}: {kinds}")


def evaluate(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Folder of labelled images.")
    ],
    labels: Annotated[
        Path,
        typer.Option(
            "--labels",
            exists=True,
            dir_okay=False,
            help="CSV with header file,labels; labels are v7 names separated by ';'.",
        ),
    ],
    output: Annotated[Path, typer.Option("--output", help="Folder for the PNGs.")] = Path(
        "eval-report"
    ),
) -> None:
    """Per-label precision, recall and false-positive rate by threshold, and PR-curve PNGs."""
    engine = DetectionEngine.from_settings(command_services(ctx).settings())
    with engine:
        report = run_evaluation(engine, folder, labels, output)
    typer.echo(report)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
    app.command("detectors")(detectors)
    app.command("eval")(evaluate)


def results_as_lines(results: list[DetectionResult], min_confidence: float) -> list[str]:
    """JSON lines of several results (used by tests and tools)."""
    return [json.dumps(image_body(result.detections, min_confidence)) for result in results]
