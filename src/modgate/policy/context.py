"""The context a decision is made in: region, surface, audience age band, user state, local time.

Built from a plain dict (what the pipeline stores in ``moderations.context``) or from the CLI's
``region=DE,surface=kids`` form. Time comes from the context (``local_time`` with its offset, or a
bare ``HH:MM``) or from an injected clock plus the viewer's ``timezone``; never from the system
clock. Unknown keys are kept out of the key used to cache compiled rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from modgate.errors import InvalidContextError
from modgate.policy.regions import check_code
from modgate.policy.validate import parse_age_band

# The oldest age an audience band may name; ``18+`` is open-ended.
MAX_AGE = 150
KNOWN_KEYS = ("region", "surface", "audience", "user_state", "local_time", "timezone", "item_key")


@dataclass(frozen=True, slots=True)
class Context:
    """Who sees the item, where and when. Every field is optional."""

    region: str | None = None
    surface: str | None = None
    audience: tuple[int, int] | None = None
    user_state: str | None = None
    minute_of_day: int | None = None
    item_key: str | None = None
    key: tuple[Any, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "key",
            (self.region, self.surface, self.audience, self.user_state, self.minute_of_day),
        )

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None, *, now: dt.datetime | None = None
    ) -> Context:
        """A context from a dict; ``now`` (aware) is the injected clock for ``timezone``."""
        data = data or {}
        region = data.get("region")
        if region is not None:
            region = str(region).strip().upper()
            problem = check_code(region, {}) if region else None
            if problem:
                raise InvalidContextError(problem.replace(" or a group ().", "."))
        audience = data.get("audience")
        band = None
        if audience not in (None, ""):
            band = _age_band(str(audience))
        return cls(
            region=region or None,
            surface=_text(data.get("surface")),
            audience=band,
            user_state=_text(data.get("user_state")),
            minute_of_day=_minute_of_day(data, now),
            item_key=_text(data.get("item_key") or data.get("sha256")),
        )

    @classmethod
    def parse(cls, text: str, *, now: dt.datetime | None = None) -> Context:
        """``region=DE,surface=kids,audience=13-17`` (the CLI form)."""
        return cls.from_dict(context_pairs(text), now=now)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.region:
            out["region"] = self.region
        if self.surface:
            out["surface"] = self.surface
        if self.audience:
            low, high = self.audience
            out["audience"] = (
                f"{low}+" if high >= 200 else f"{low}" if low == high else f"{low}-{high}"
            )
        if self.user_state:
            out["user_state"] = self.user_state
        if self.minute_of_day is not None:
            out["local_time"] = f"{self.minute_of_day // 60:02d}:{self.minute_of_day % 60:02d}"
        if self.item_key:
            out["item_key"] = self.item_key
        return out


def context_pairs(text: str) -> dict[str, str]:
    """``region=DE,surface=kids`` as a dict (the command line's form of a context)."""
    data: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise InvalidContextError(f"context item {part!r} is not key=value")
        data[name.strip()] = value.strip()
    return data


def _age_band(text: str) -> tuple[int, int]:
    """An audience's age band; one no viewer can be in (``17-13``, ``500``) is refused."""
    try:
        low, high = parse_age_band(text)
    except ValueError as exc:
        raise InvalidContextError(
            f"audience {text!r} is not an age band like 13-17, 18+ or 15"
        ) from exc
    open_ended = text.strip().endswith("+")
    if not (0 <= low <= MAX_AGE and low <= high and (open_ended or high <= MAX_AGE)):
        raise InvalidContextError(
            f"audience {text!r} is not an age band a viewer can be in: ages go from 0 to "
            f"{MAX_AGE}, the lower first (13-17, 18+ or 15)"
        )
    return low, high


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _minute_of_day(data: Mapping[str, Any], now: dt.datetime | None) -> int | None:
    zone = None
    if data.get("timezone"):
        try:
            zone = ZoneInfo(str(data["timezone"]))
        except (
            ZoneInfoNotFoundError,
            ValueError,
            OSError,
        ) as exc:  # OSError: a folder, a long name
            raise InvalidContextError(f"unknown time zone {data['timezone']!r}") from exc
    local_time = data.get("local_time")
    if local_time:
        moment = _parse_time(str(local_time))
        if isinstance(moment, int):
            return moment
        if moment.tzinfo is not None and zone is not None:
            moment = moment.astimezone(zone)
        return moment.hour * 60 + moment.minute
    if zone is not None and now is not None:
        if now.tzinfo is None:
            raise InvalidContextError("the injected clock must give an aware datetime")
        local = now.astimezone(zone)
        return local.hour * 60 + local.minute
    return None


def _parse_time(text: str) -> dt.datetime | int:
    if len(text) <= 5 and ":" in text:
        try:
            hours, minutes = (int(part) for part in text.split(":"))
        except ValueError:
            hours = minutes = -1
        if 0 <= hours < 24 and 0 <= minutes < 60:
            return hours * 60 + minutes
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidContextError(
            f"local_time {text!r} is neither HH:MM nor an ISO 8601 date-time"
        ) from exc
