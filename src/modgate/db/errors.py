"""Database errors that are the caller's, not the server's.

SQLite stores any string; PostgreSQL refuses some values a request can carry past validation:
a NUL character (U+0000) in a text or JSON column, an unpaired surrogate in JSON, a string
longer than its column. The driver reports them as a *data exception* (SQLSTATE class 22,
``sqlalchemy.exc.DataError``); the transaction is rolled back, so nothing was kept, and the
answer is the caller's 400 rather than an internal error.
"""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError

from modgate.errors import InvalidParameterException


def unstorable_value(exc: DBAPIError) -> InvalidParameterException | None:
    """The 400 for a value the database refused to store, or None for any other failure."""
    if not isinstance(exc, DataError):
        return None
    # The driver's first line names the problem; the rest would show the statement.
    reason = (str(exc.orig).strip().splitlines() or ["refused by the database"])[0]
    return InvalidParameterException(
        "A value in the request cannot be stored (a NUL character, an unpaired surrogate, a "
        f"text too long): {reason}."
    )
