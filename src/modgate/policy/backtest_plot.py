"""The backtest's threshold sweep drawn as a PNG (``modgate policy backtest --plot``).

Kept apart from the report so replaying history never needs matplotlib; matplotlib itself is
imported only when a plot is drawn, as it takes half a second to import and every ``modgate``
command loads the policy commands.
"""

from __future__ import annotations

from modgate.policy.backtest import BacktestReport


def plot_sweep(report: BacktestReport, path: str) -> None:
    """The threshold sweep as a PNG: flagged share, false positives and false negatives."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    titles = ("flagged share", "false positives (verdicts)", "false negatives (verdicts)")
    for category, rows in sorted(report.sweep.items()):
        thresholds = list(rows)
        for index, axis in enumerate(axes):
            values = [
                rows[t][index] / (report.total or 1) if index == 0 else rows[t][index]
                for t in thresholds
            ]
            axis.plot(thresholds, values, label=category)
    for axis, title in zip(axes, titles, strict=True):
        axis.set_title(title)
        axis.set_xlabel("block threshold (confidence)")
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
