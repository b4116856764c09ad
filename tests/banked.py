"""What the bank tests' live server fixture gives: its address, each tenant's client and the
services behind it (a module of its own so test modules import it by a name no other
``conftest`` shadows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Banked:
    url: str
    a: httpx.Client  # tenant acme, every scope
    b: httpx.Client  # tenant globex, every scope
    services: Any
    key_a: str
