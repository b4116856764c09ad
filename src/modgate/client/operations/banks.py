"""Hash bank operations (``/v1/banks``, ``/v1/bank-contents``): create, read, update and delete
banks, import and export their entries, and add, page through, update and delete their
contents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict, Unpack

import httpx

from modgate.client.operations.call import (
    Call,
    MediaInput,
    _id,
    _json,
    _none,
    _query,
    _upload,
    route,
)
from modgate.client.types import Bank, BankContent, BankEntry, Page


class BankSettings(TypedDict, total=False):
    """A bank's settings (``create_bank``, ``update_bank``; the server's defaults for those left
    out)."""

    description: str
    matching_enabled_ratio: float  # the share of lookups the bank takes part in, 0–1
    max_distance: int  # the largest PDQ distance it matches at, 0–64 (default 31)
    negative: bool  # known-good content: its matches suppress labels


def _bank(name: str) -> str:
    return f"/v1/banks/{_id(name)}"


def _bank_content(content_id: int) -> str:
    return f"/v1/bank-contents/{int(content_id)}"


@route("GET", "/v1/banks")
def list_banks() -> Call[list[Bank]]:
    """The tenant's hash banks (scope ``banks:read``)."""
    return Call("GET", "/v1/banks", lambda response: response.json()["items"])


@route("POST", "/v1/banks")
def create_bank(name: str, **settings: Unpack[BankSettings]) -> Call[Bank]:
    """Make a bank (``name``: upper-case letters, digits and ``_``, starting with a letter)."""
    return Call("POST", "/v1/banks", _json, json={"name": name, **settings})


@route("POST", "/v1/banks/import")
def import_bank_entries(
    entries: Sequence[Mapping[str, Any]], *, bank: str | None = None
) -> Call[dict[str, int]]:
    """Import entries (``signal_type``, ``signal``, ``bank``, ``note``, as ``export_bank``
    gives them), all or none; ``bank``: the bank of entries naming none. Answers the number
    added, by bank."""
    return Call(
        "POST",
        "/v1/banks/import",
        lambda response: response.json()["imported"],
        _query(bank=bank),
        json=[dict(entry) for entry in entries],
    )


@route("GET", "/v1/banks/{bank_name}")
def get_bank(bank_name: str) -> Call[Bank]:
    """One bank, with its settings."""
    return Call("GET", _bank(bank_name), _json)


@route("PATCH", "/v1/banks/{bank_name}")
def update_bank(bank_name: str, **settings: Unpack[BankSettings]) -> Call[Bank]:
    """Change the settings given; the others stay."""
    return Call("PATCH", _bank(bank_name), _json, json=dict(settings))


@route("DELETE", "/v1/banks/{bank_name}")
def delete_bank(bank_name: str) -> Call[None]:
    """Delete a bank with its content."""
    return Call("DELETE", _bank(bank_name), _none)


def _content_page(response: httpx.Response) -> Page[BankContent]:
    body = response.json()
    after = body.get("next_after")
    return Page(body["items"], None if after is None else str(after), body)


@route("GET", "/v1/banks/{bank_name}/contents")
def list_bank_contents(
    bank_name: str, *, limit: int | None = None, cursor: str | int | None = None
) -> Call[Page[BankContent]]:
    """One page of a bank's content, by id (``limit``: 1–1000, default 100; ``cursor``: the
    previous page's ``next_cursor``, the last id it holds)."""
    params = _query(limit=limit, after=cursor)
    return Call("GET", f"{_bank(bank_name)}/contents", _content_page, params)


@route("POST", "/v1/banks/{bank_name}/contents")
def add_bank_content(
    bank_name: str,
    media: MediaInput | None = None,
    *,
    media_id: str | None = None,
    moderation_id: str | None = None,
    signal_type: Literal["pdq", "vpdq", "video_md5"] | None = None,
    signal: str | None = None,
    note: str | None = None,
    filename: str | None = None,
) -> Call[BankContent]:
    """Bank a picture or video: ``media`` (bytes, a path or a binary file, uploaded and
    hashed), or stored media (``media_id``), or a moderation's media (``moderation_id``), or a
    hash (``signal_type`` with ``signal``)."""
    given = sum(value is not None for value in (media, media_id, moderation_id, signal))
    if given != 1 or (signal is None) != (signal_type is None):
        raise TypeError("give exactly one of media, media_id, moderation_id, or signal_type+signal")
    path = f"{_bank(bank_name)}/contents"
    if media is None:
        body = {
            "media_id": media_id,
            "moderation_id": moderation_id,
            "signal_type": signal_type,
            "signal": signal,
            "note": note,
        }
        return Call("POST", path, _json, json={k: v for k, v in body.items() if v is not None})
    files, replayable = _upload(media, filename)
    data = None if note is None else {"note": note}
    return Call("POST", path, _json, data=data, files=files, replayable=replayable)


@route("GET", "/v1/banks/{bank_name}/export")
def export_bank(bank_name: str) -> Call[list[BankEntry]]:
    """Every entry of a bank (one per signal; ``import_bank_entries`` takes them back)."""
    return Call("GET", f"{_bank(bank_name)}/export", lambda response: response.json()["entries"])


@route("GET", "/v1/bank-contents/{content_id}")
def get_bank_content(content_id: int) -> Call[BankContent]:
    """One banked content, with its signals."""
    return Call("GET", _bank_content(content_id), _json)


@route("PATCH", "/v1/bank-contents/{content_id}")
def update_bank_content(
    content_id: int, *, enabled: bool | None = None, note: str | None = None
) -> Call[BankContent]:
    """Turn a content off (``enabled=False``: it no longer matches) or on, or change its note."""
    body = {"enabled": enabled, "note": note}
    return Call(
        "PATCH",
        _bank_content(content_id),
        _json,
        json={k: v for k, v in body.items() if v is not None},
    )


@route("DELETE", "/v1/bank-contents/{content_id}")
def delete_bank_content(content_id: int) -> Call[None]:
    """Remove a content from its bank."""
    return Call("DELETE", _bank_content(content_id), _none)
