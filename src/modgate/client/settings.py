"""What both clients are configured with, checked once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from modgate.client.retry import Retry
from modgate.version import __version__


@dataclass(frozen=True, slots=True)
class ClientSettings:
    base_url: str
    api_key: str | None
    retry: Retry
    wait_timeout: float
    poll_interval: float

    @classmethod
    def of(
        cls,
        base_url: str,
        api_key: str | None,
        retry: Retry | None,
        wait_timeout: float,
        poll_interval: float,
    ) -> ClientSettings:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http:// or https:// URL, not {base_url!r}")
        if wait_timeout < 0 or poll_interval <= 0:
            raise ValueError("wait_timeout cannot be negative, and poll_interval must be positive")
        return cls(base_url.rstrip("/"), api_key, retry or Retry(), wait_timeout, poll_interval)

    def headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"User-Agent": f"modgate-client/{__version__}"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers | dict(extra or {})

    def __repr__(self) -> str:  # never the key
        return f"ClientSettings(base_url={self.base_url!r}, retry={self.retry!r})"
