"""Banks' exchange format: import entries read from CSV or JSON, and export rows written back.

An entry is ``signal_type``, ``signal``, ``bank``, ``note``, ``enabled`` (an export adds
``content_id``). Parsing here is pure; the service adds what it reads in one transaction.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from modgate.banks.models import BankContent, NewContent, checked_bank_name
from modgate.banks.signals import Signal, checked_signal, signal_type_of
from modgate.errors import BankImportInvalidException, InvalidParameterException

EXPORT_FIELDS: Final = ("signal_type", "signal", "bank", "note", "enabled", "content_id")
MAX_NOTE: Final = 2000


def checked_note(note: str | None) -> str:
    text = note or ""
    if len(text) > MAX_NOTE:
        raise InvalidParameterException(f"A note is at most {MAX_NOTE} characters.")
    return text


def import_entry(
    line: int, entry: Mapping[str, Any], default_bank: str | None
) -> tuple[str, NewContent]:
    """One import entry checked: its bank and the content to add. A bad entry refuses the
    whole import, naming its line."""
    try:
        if not isinstance(entry, Mapping):
            raise InvalidParameterException("an entry is an object")
        kind = signal_type_of(str(entry.get("signal_type") or ""))
        value = checked_signal(kind, str(entry.get("signal") or ""))
        bank = str(entry.get("bank") or default_bank or "")
        checked_bank_name(bank)
        enabled = entry.get("enabled", True)
        if isinstance(enabled, str):
            enabled = enabled.strip().lower() not in ("false", "0", "no")
        note = checked_note(str(entry.get("note") or ""))
    except InvalidParameterException as exc:
        raise BankImportInvalidException(
            f"Entry {line}: {exc.message} Nothing was imported.", line=line
        ) from exc
    return bank, NewContent((Signal(kind, value),), "import", note, bool(enabled))


def export_rows(content: BankContent) -> Iterator[dict[str, Any]]:
    """A content's signals as import entries (a video: its MD5 and each frame's PDQ)."""
    for signal in content.signals:
        yield {
            "signal_type": signal.type,
            "signal": signal.value,
            "bank": content.bank,
            "note": content.note,
            "enabled": content.enabled,
            "content_id": content.id,
        }


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def parse_import(body: bytes, content_type: str) -> list[Any]:
    """Entries from a CSV (header ``signal_type,signal,bank,note``) or a JSON body (a list,
    or ``{"entries": [...]}``)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankImportInvalidException("The import is not UTF-8 text.") from exc
    if "csv" in content_type:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {"signal_type", "signal"} <= set(reader.fieldnames):
            raise BankImportInvalidException(
                "A CSV import starts with a header naming at least signal_type and signal."
            )
        return list(reader)
    try:
        found = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BankImportInvalidException(f"The import is not JSON: {exc.msg}.") from exc
    if isinstance(found, dict):
        found = found.get("entries")
    if not isinstance(found, list):
        raise BankImportInvalidException(
            'A JSON import is a list of entries or {"entries": [...]}.'
        )
    return found
