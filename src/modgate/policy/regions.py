"""Region codes: ISO 3166-1 countries, ISO 3166-2 subdivisions and named groups such as ``EU``.

A country matches its own subdivisions (``DE`` matches ``DE-BY``); a group matches its members.
The country list comes from the IANA time-zone data shipped by ``tzdata`` (``iso3166.tab``).
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from importlib import resources

EU = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]
BUILTIN_GROUPS: dict[str, tuple[str, ...]] = {
    "EU": tuple(EU),
    "EEA": (*EU, "IS", "LI", "NO"),
    "GCC": ("SA", "AE", "KW", "QA", "BH", "OM"),
}
_CODE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


@cache
def countries() -> frozenset[str]:
    text = resources.files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text("utf-8")
    codes = {line.split("\t", 1)[0] for line in text.splitlines() if line and line[0] != "#"}
    return frozenset(codes)


def check_code(code: str, groups: dict[str, tuple[str, ...]]) -> str | None:
    """None when ``code`` is a known group, country or well-formed subdivision; else a message."""
    if code in groups:
        return None
    if _CODE.match(code) and code[:2] in countries():
        return None
    options = [*groups, *sorted(countries())]
    close = difflib.get_close_matches(code.upper(), options, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return (
        f"unknown region {code!r}: use an ISO 3166 code (DE, DE-BY) or a group "
        f"({', '.join(sorted(groups))}).{hint}"
    )


def expand(codes: list[str], groups: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """Group names replaced by their member codes."""
    expanded: set[str] = set()
    for code in codes:
        expanded.update(groups.get(code, (code,)))
    return frozenset(expanded)


def region_matches(region: str, allowed: frozenset[str]) -> bool:
    """``DE-BY`` matches a rule for ``DE`` or for ``DE-BY``."""
    return region in allowed or region[:2] in allowed
