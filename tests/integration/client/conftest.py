"""The live servers the typed client's tests share, one of each per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from client_server import Server, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(tmp_path_factory.mktemp("client"), workers=1)


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that accepts moderations and decides none: no job runs in a request, and its
    job workers are stopped once it is up."""
    for server in serve(tmp_path_factory.mktemp("client_idle"), workers=1, request_jobs=0):
        server.services.pipeline.executor.stop()
        yield server
