"""The detector registry: every detector, built-in or third-party, comes from entry points.

Like datasette's plugins, the built-in detectors are registered in modgate's own
``pyproject.toml`` under the ``modgate.detectors`` group, exactly as a third-party package would
register its own. ``build_detectors`` picks and configures them from ``DetectionSettings``.
"""

from __future__ import annotations

import logging

from modgate.detection.base import Detector
from modgate.detection.plugins import load_plugins
from modgate.detection.remote.base import RemoteDetector
from modgate.detection.settings import DetectionSettings
from modgate.errors import DetectorLoadError, SettingsError
from modgate.outbound import OutboundGuard

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "modgate.detectors"


def available_detectors() -> dict[str, type[Detector]]:
    """Every registered detector class by name (whether or not its extra is installed)."""
    return load_plugins(ENTRY_POINT_GROUP, Detector, "detector", "Detector class")


def select_detectors(
    settings: DetectionSettings, registered: dict[str, type[Detector]] | None = None
) -> list[type[Detector]]:
    """The detector classes to run: enabled (or on by default), not disabled, installed."""
    registered = available_detectors() if registered is None else registered
    for name in [*(settings.enabled or []), *settings.disabled, *settings.options]:
        if name not in registered:
            raise SettingsError(
                f"MODGATE_DETECTION__*: unknown detector {name!r}; installed detectors: "
                f"{', '.join(registered) or 'none'}"
            )
    chosen: list[type[Detector]] = []
    for name, detector_class in registered.items():
        if name in settings.disabled:
            continue
        explicitly = settings.enabled is not None and name in settings.enabled
        if settings.enabled is not None and not explicitly:
            continue
        if settings.enabled is None and not detector_class.default_enabled:
            continue
        missing = detector_class.missing_requirements()
        if missing:
            hint = (
                f"pip install 'modgate[{detector_class.extra}]'"
                if detector_class.extra
                else (f"pip install {' '.join(missing)}")
            )
            if explicitly:
                raise DetectorLoadError(
                    f"detector {name!r} is enabled but {', '.join(missing)} is not installed: "
                    f"{hint}",
                    detector=name,
                )
            logger.warning("detector %s skipped: %s not installed (%s)", name, missing, hint)
            continue
        chosen.append(detector_class)
    if not chosen:
        raise SettingsError(
            "no detector is enabled; check MODGATE_DETECTION__ENABLED and "
            "MODGATE_DETECTION__DISABLED"
        )
    return chosen


def build_detectors(
    settings: DetectionSettings,
    threads_per_session: int,
    outbound: OutboundGuard | None = None,
) -> list[Detector]:
    """Instantiate the chosen detectors with their options (validated now, loaded later);
    remote ones get the process's outbound guard."""
    detectors: list[Detector] = []
    for detector_class in select_detectors(settings):
        options = settings.options.get(detector_class.name)
        if issubclass(detector_class, RemoteDetector):
            detectors.append(detector_class(options, threads_per_session, outbound=outbound))
        else:
            detectors.append(detector_class(options, threads=threads_per_session))
    return detectors
