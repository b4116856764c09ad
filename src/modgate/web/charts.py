"""Pictures for the policy pages, drawn on the server as SVG (no script, no CDN): the share of
each action under the active and the candidate policy, and each category's threshold sweep
(items flagged, false positives and false negatives at every threshold). Colours come from
presentation attributes, which the console's Content-Security-Policy allows (no inline style).
Every text placed in the picture is escaped.
"""

from __future__ import annotations

import difflib
from html import escape
from typing import Any

from markupsafe import Markup

ACTION_COLOURS = {
    "allow": "#0a6b2d",
    "annotate": "#7a4d00",
    "review": "#0b4f9c",
    "block": "#a10e0e",
}
SWEEP_SERIES = (
    ("flagged", "#0b4f9c", ""),
    ("false_positives", "#a10e0e", "6 3"),
    ("false_negatives", "#7a4d00", "2 3"),
)
WIDTH, HEIGHT, PAD = 520, 220, 40


def shares_svg(report: dict[str, Any]) -> Markup:
    """Two stacked bars: the share of each action under the active policy and the candidate."""
    rows = [("active", report["active"]["counts"]), ("candidate", report["candidate"]["counts"])]
    total = max(1, int(report.get("total") or 0))
    parts = [_open(WIDTH, 110, "Share of each action, active and candidate policy")]
    for index, (name, counts) in enumerate(rows):
        y = 10 + index * 45
        parts.append(f'<text x="0" y="{y + 20}" font-size="12">{name}</text>')
        x = 80.0
        for action, colour in ACTION_COLOURS.items():
            width = (WIDTH - 90) * int(counts.get(action, 0)) / total
            if width > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="28" fill="{colour}">'
                    f"<title>{action}: {int(counts.get(action, 0))}</title></rect>"
                )
            x += width
    legend_x = 80
    for action, colour in ACTION_COLOURS.items():
        parts.append(
            f'<rect x="{legend_x}" y="96" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="105" font-size="11">{action}</text>'
        )
        legend_x += 90
    parts.append("</svg>")
    return Markup("".join(parts))


def sweep_svg(category: str, rows: dict[str, dict[str, int]]) -> Markup:
    """One category's sweep: a line per series over thresholds 0-100."""
    points = sorted((int(t), v) for t, v in rows.items())
    top = max([1] + [v[name] for _, v in points for name, _, _ in SWEEP_SERIES])
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    parts = [_open(WIDTH, HEIGHT, f"Threshold sweep of {category}")]
    parts.append(
        f'<text x="{PAD}" y="16" font-size="13" font-weight="600">{escape(category)}</text>'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#767676"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#767676"/>'
        f'<text x="{PAD - 6}" y="{PAD + 4}" font-size="10" text-anchor="end">{top}</text>'
        f'<text x="{PAD - 6}" y="{HEIGHT - PAD}" font-size="10" text-anchor="end">0</text>'
    )
    for threshold in (0, 25, 50, 75, 100):
        x = PAD + plot_w * threshold / 100
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - PAD + 14}" font-size="10" '
            f'text-anchor="middle">{threshold}</text>'
        )
    for name, colour, dash in SWEEP_SERIES:
        line = " ".join(
            f"{PAD + plot_w * t / 100:.1f},{HEIGHT - PAD - plot_h * v[name] / top:.1f}"
            for t, v in points
        )
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline class="series-{name}" points="{line}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dashes}/>'
        )
    legend_x = PAD
    for name, colour, dash in SWEEP_SERIES:
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{legend_x}" y1="{HEIGHT - 8}" x2="{legend_x + 20}" y2="{HEIGHT - 8}" '
            f'stroke="{colour}" stroke-width="2"{dashes}/>'
            f'<text x="{legend_x + 24}" y="{HEIGHT - 4}" font-size="10">'
            f"{name.replace('_', ' ')}</text>"
        )
        legend_x += 140
    parts.append("</svg>")
    return Markup("".join(parts))


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """A unified diff of two policy sources as (kind, line): kind is add, del, hunk or same."""
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), "active", "this version", lineterm="", n=3
    ):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out


def _open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(label)}">'
    )
