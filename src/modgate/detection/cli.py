"""Detection commands: ``modgate scan`` (labels of local files and texts), ``modgate detectors``,
``modgate eval`` (precision/recall on a labelled folder).

``scan --text "…"`` and ``scan FILE.txt`` print what the text detectors find (Comprehend's shape,
``modgate.taxonomy.comprehend_json``), after the same checks as the API's text intake.

``scan`` validates every file through media intake first, so a bad file gets its own stable
error code (``EmptyMediaException``, ``TruncatedMediaException`` …) on its JSON line and on
stderr, the remaining files are still scanned, and the exit status is 2 when any file failed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
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
from modgate.media import MediaLimits, inspect_path
from modgate.media.text import text_bytes
from modgate.settings import Settings
from modgate.taxonomy.comprehend_json import findings_to_json
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


def scan_text(
    engine: DetectionEngine,
    settings: Settings,
    text: str | bytes,
    language: str | None,
    name: dict[str, str],
) -> dict[str, Any]:
    """One output line for a text (``name``: ``{"File": path}`` or ``{"Text": "…"}``)."""
    data = text_bytes(text, MediaLimits.from_settings(settings))
    (findings,) = engine.detect_text([data.decode("utf-8")], "text", language)
    return {**name, **findings_to_json(findings), "TextModelVersion": engine.text_model_version}


def format_table(line: dict[str, Any]) -> str:
    """A human-readable block for one output line."""
    rows = [str(line.get("File") or repr(line.get("Text", "")[:60]))]
    if "Error" in line:
        return rows[0] + f"\n  error  {line['Error']['Code']}: {line['Error']['Message']}"
    if "Toxicity" in line:
        for label in line["Labels"]:
            where = ", ".join(
                repr(line["Text"][o["BeginOffset"] : o["EndOffset"]]) for o in label["Offsets"]
            )
            rows.append(f"  {label['Score']:6.1f}  {label['Name']}  {where}")
        for entity in line["Entities"]:
            found = line["Text"][entity["BeginOffset"] : entity["EndOffset"]]
            rows.append(f"  {entity['Score']:6.1f}  {entity['Type']}  {found!r}")
        if len(rows) == 1:
            rows.append("  (nothing found)")
        return "\n".join(rows)
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
    files: Annotated[
        list[Path] | None, typer.Argument(help="Images, videos and .txt files to scan.")
    ] = None,
    text: Annotated[
        list[str] | None, typer.Option("--text", help="A text to scan (repeatable).")
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="The texts' language (ISO 639), e.g. en.")
    ] = None,
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
    """Detect moderation labels in local files (as Rekognition answers) and texts (as Comprehend
    answers); one JSON line per file or text."""
    if output_format not in ("json", "table"):
        raise typer.BadParameter("use json or table", param_hint="--format")
    if not files and not text:
        raise typer.BadParameter("give files to scan, or --text")
    settings = command_services(ctx).settings()
    threshold = settings.detection.min_confidence if min_confidence is None else min_confidence
    engine = DetectionEngine.from_settings(
        settings, cache=InMemoryDetectionCache(settings.detection.cache_entries)
    )
    failed = False
    items: list[tuple[dict[str, str], Callable[[], dict[str, Any]]]] = []
    for given in text or []:
        name = {"Text": given}
        items.append((name, functools.partial(scan_text, engine, settings, given, language, name)))
    for path in files or []:
        name = {"File": str(path)}
        if path.suffix.lower() == ".txt" and path.is_file():
            scan = functools.partial(scan_text, engine, settings, path.read_bytes(), language, name)
        else:
            scan = functools.partial(scan_file, engine, settings, path, threshold)
        items.append((name, scan))
    with engine:
        for name, run in items:
            try:
                line = run()
            except ModgateError as error:
                failed = True
                typer.echo(f"{next(iter(name.values()))}: {error.code}: {error.message}", err=True)
                line = {**name, "Error": {"Code": error.code, "Message": error.message}}
            typer.echo(json.dumps(line) if output_format == "json" else format_table(line))
    if failed:
        raise typer.Exit(code=2)


def detectors(ctx: typer.Context) -> None:
    """List the detectors that would run (image and text), their versions and the labels they
    can emit."""
    engine = DetectionEngine.from_settings(command_services(ctx).settings())
    with engine:
        typer.echo(f"ModerationModelVersion: {engine.model_version}")
        for item in engine.describe():
            kinds = ", ".join(item["labels"] + item["content_types"]) or "text"
            where = " (remote, per the cascade)" if item["remote"] else ""
            typer.echo(f"  {item['name']} {item['version']}{where}: {kinds}")
        typer.echo(f"TextModelVersion: {engine.text_model_version}")
        for detector in engine.text.detectors:
            found = ", ".join(detector.labels + detector.entities)
            languages = f" ({', '.join(detector.languages)})" if detector.languages else ""
            typer.echo(f"  {detector.name} {detector.version}{languages}: {found}")


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
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            min=0,
            max=100,
            help="Confidence at which a label counts as flagged in the false-flag table "
            "(default: MODGATE_DETECTION__MIN_CONFIDENCE, 50).",
        ),
    ] = None,
) -> None:
    """Per-label precision, recall and false-positive rate by threshold, PR-curve PNGs, and
    each label's false-flag rate with a 95 % confidence interval."""
    settings = command_services(ctx).settings()
    at = settings.detection.min_confidence if threshold is None else threshold
    engine = DetectionEngine.from_settings(settings)
    with engine:
        report = run_evaluation(engine, folder, labels, output, at)
    typer.echo(report)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
    app.command("detectors")(detectors)
    app.command("eval")(evaluate)


def results_as_lines(results: list[DetectionResult], min_confidence: float) -> list[str]:
    """JSON lines of several results (used by tests and tools)."""
    return [json.dumps(image_body(result.detections, min_confidence)) for result in results]
