"""The tuning curves drawn as PNG or SVG (``modgate policy tune`` writes both).

One panel per category: precision and recall against the threshold with their lower bounds
(dashed), the share of decisions at or above each threshold, and the current (grey) and
proposed (green) block and review thresholds. Like ``backtest_plot``, matplotlib is imported
only when a chart is drawn.
"""

from __future__ import annotations

import math
from pathlib import Path

from modgate.policy.tuning_report import TuningReport

COLUMNS = 3


def plot_curves(report: TuningReport, paths: list[Path]) -> None:
    """Draw the report's curves once and save them to every path (format by suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted(report.curves)
    rows = max(1, math.ceil(len(names) / COLUMNS))
    figure, axes = plt.subplots(rows, COLUMNS, figsize=(5 * COLUMNS, 3.6 * rows), squeeze=False)
    for axis in axes.flat[len(names) :]:
        axis.set_visible(False)
    for axis, name in zip(axes.flat, names, strict=False):
        curve = report.curves[name]
        thresholds = [p.threshold for p in curve.points]

        def column(values: list[float | None]) -> list[float]:
            return [math.nan if v is None else v for v in values]

        axis.plot(thresholds, column([p.precision.rate for p in curve.points]), label="precision")
        axis.plot(
            thresholds, column([p.precision.low for p in curve.points]), "C0--", linewidth=0.8
        )
        axis.plot(thresholds, column([p.recall.rate for p in curve.points]), label="recall")
        axis.plot(thresholds, column([p.recall.low for p in curve.points]), "C1--", linewidth=0.8)
        axis.plot(
            thresholds, column([p.share for p in curve.points]), "C2:", label="share of decisions"
        )
        item = report.recommendations.get(name)
        for bands, colour in ((item and item.current, "grey"), (item and item.proposed, "green")):
            if not bands:
                continue
            for value, style in ((bands.block, "-"), (bands.review, "--")):
                if value is not None:
                    axis.axvline(value, color=colour, linestyle=style, linewidth=1)
        status = item.status if item else ""
        axis.set_title(f"{name} ({curve.examples} checked; {status})", fontsize=9)
        axis.set_xlim(0, 100)
        axis.set_ylim(0, 1.02)
        axis.set_xlabel("threshold (confidence)")
        axis.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7, loc="lower left")
    figure.suptitle(
        f"{report.policy.name}: precision / recall by threshold "
        f"(dashed: {report.targets.confidence:.0%} lower bounds; vertical: block —, review --, "
        "grey current, green proposed)",
        fontsize=10,
    )
    figure.tight_layout()
    for path in paths:
        figure.savefig(str(path), dpi=100)
    plt.close(figure)
