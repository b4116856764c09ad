"""Parameter types whose documented schema is exactly what the server accepts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _iso_only(value: Any) -> Any:
    # Pydantic would take a bare number as a Unix time; the document says ISO 8601.
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("expected an ISO 8601 date-time, such as 2026-05-14T09:30:00Z")
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:  # an offset that moves it past year 1 or 9999
        raise ValueError(f"{value.isoformat()} is out of range") from exc


# An ISO 8601 date-time (a naive one is taken as UTC), in UTC.
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_only), AfterValidator(_utc)]
