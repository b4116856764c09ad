"""When to try a request again: 429 and 503 answers, after the server's ``Retry-After`` (seconds
or an HTTP date) or, without one, after a doubling backoff; a bounded number of tries, and never
a wait longer than ``max_wait`` (a server that asks for more is not retried: its error is
raised at once, with the header, for the caller to decide)."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Retry:
    """``attempts``: tries in all (1: never retry). ``backoff``: the first wait when the answer
    has no ``Retry-After``, doubled at each try. ``max_wait``: the longest wait before a try."""

    attempts: int = 3
    statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 503}))
    backoff: float = 0.5
    max_wait: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.backoff < 0 or self.max_wait < 0:
            raise ValueError("backoff and max_wait cannot be negative")

    def wait(self, attempt: int, status: int, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait before try ``attempt + 1`` after an answer ``status`` with
        ``headers`` to try ``attempt``; None when it is not to be tried again."""
        if status not in self.statuses or attempt >= self.attempts:
            return None
        asked = retry_after_seconds(headers.get("retry-after"))
        seconds = self.backoff * 2 ** (attempt - 1) if asked is None else asked
        if seconds > self.max_wait:
            return None if asked is not None else self.max_wait
        return seconds


NO_RETRY = Retry(attempts=1)


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` in seconds (never negative): delay-seconds or an HTTP date; None when
    absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())
