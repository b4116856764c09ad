"""Custom labels register themselves in the process's taxonomy: each test leaves it as found."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modgate.taxonomy import custom_labels, register_custom_labels


@pytest.fixture(autouse=True)
def restore_taxonomy() -> Iterator[None]:
    before = custom_labels()
    yield
    register_custom_labels(before)
