"""Servers for live-stream tests: the API with embedded workers that hold streams, on short
settings: leases of a few seconds, quick reconnections, and loopback allowed as a source (the
tests' HLS servers are on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from servers import LiveServer

# The live-stream settings of the tests (``MODGATE_STREAMS__…``).
SHORT: dict[str, object] = {
    "lease_seconds": 3.0,
    "poll_seconds": 0.2,
    "reconnect_attempts": 2,
    "reconnect_backoff_seconds": 0.3,
    "stall_seconds": 4.0,
}


def stream_settings(  # type: ignore[no-untyped-def]
    tmp_path: Path,
    allow: str = "127.0.0.1",
    detection_options: dict[str, Any] | None = None,
    database_url: str = "",
    **streams: object,
):
    from modgate.settings import load_settings

    values: dict[str, object] = SHORT | streams
    return load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"], "options": detection_options or {}},
        pipeline={"workers": 1, "poll_seconds": 0.2, "webhook_backoff_seconds": 0.2},
        auth={"api_keys_required": False},
        outbound_allow=allow,
        database_url=database_url,
        streams=values,
    )


@contextmanager
def serving(settings: Any) -> Iterator[tuple[Any, Any]]:
    """The API (and its stream workers) on ``settings``: (server, services)."""
    from modgate.app import create_app
    from modgate.services import Services

    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as server:
            yield server, services
    finally:
        services.close()
