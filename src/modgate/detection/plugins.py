"""Loading detector classes from an entry-point group: image detectors (``modgate.detectors``)
and text detectors (``modgate.text_detectors``) are registered and found the same way."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from modgate.errors import DetectorLoadError


def load_plugins(group: str, base: type, kind: str, expected: str) -> dict[str, type[Any]]:
    """Every class registered in ``group`` by name, sorted; each must subclass ``base``.

    A plugin that cannot be imported, or is not such a class, is a ``DetectorLoadError`` naming
    it (``kind`` and ``expected`` word the messages: ``"text detector"``, ``"TextDetector"``)."""
    found: dict[str, type[Any]] = {}
    for entry_point in entry_points(group=group):
        try:
            plugin = entry_point.load()
        except Exception as exc:
            raise DetectorLoadError(
                f"{kind} plugin {entry_point.name!r} ({entry_point.value}) cannot be "
                f"imported: {exc}. Reinstall or uninstall the package that provides it.",
                detector=entry_point.name,
            ) from exc
        if not (isinstance(plugin, type) and issubclass(plugin, base)):
            raise DetectorLoadError(
                f"entry point {entry_point.name!r} ({entry_point.value}) is not a {expected}",
                detector=entry_point.name,
            )
        found[entry_point.name] = plugin
    return dict(sorted(found.items()))
