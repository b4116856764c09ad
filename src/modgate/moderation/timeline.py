"""Timelines as stored on a moderation: videos and animations keep their labels per sampled
timestamp (Rekognition's ``aggregate_by=TIMESTAMPS`` shape, each entry covering its time until
the next sample); segments are derived from them on demand, when the moderation is read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def segments(
    entries: Iterable[dict[str, Any]], min_confidence: float, gap_ms: int
) -> list[dict[str, Any]]:
    """Merge entries of the same label at or above ``min_confidence`` into segments.

    Two detections of a label join when the later starts at most ``gap_ms`` after the earlier
    ends. A segment's ``Timestamp`` and ``StartTimestampMillis`` are its first detection, its
    ``EndTimestampMillis`` the end of its last, its confidence the highest inside it.
    """
    by_label: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry["ModerationLabel"]["Confidence"] >= min_confidence:
            by_label.setdefault(entry["ModerationLabel"]["Name"], []).append(entry)
    merged: list[dict[str, Any]] = []
    for items in by_label.values():
        items.sort(key=lambda e: e["StartTimestampMillis"])
        current: dict[str, Any] | None = None
        for entry in items:
            if current and entry["StartTimestampMillis"] <= current["EndTimestampMillis"] + gap_ms:
                current["EndTimestampMillis"] = max(
                    current["EndTimestampMillis"], entry["EndTimestampMillis"]
                )
                label = current["ModerationLabel"]
                label["Confidence"] = max(
                    label["Confidence"], entry["ModerationLabel"]["Confidence"]
                )
                current["_last"] = entry["StartTimestampMillis"]
            else:
                if current:
                    merged.append(current)
                current = {
                    **entry,
                    "ModerationLabel": dict(entry["ModerationLabel"]),
                    "_last": entry["StartTimestampMillis"],
                }
        if current:
            merged.append(current)
    for segment in merged:
        segment.pop("_last", None)
        segment["DurationMillis"] = segment["EndTimestampMillis"] - segment["StartTimestampMillis"]
    merged.sort(key=lambda s: (s["StartTimestampMillis"], s["ModerationLabel"]["Name"]))
    return merged
