"""Text intake: a comment, a caption or a username made a media record of kind ``text``.

A text is checked before anything is stored: valid UTF-8 (a JSON string with a lone surrogate
escape is not), no NUL character (no database can keep one in a JSON document), at most
``max_text_bytes`` UTF-8 bytes, and not empty once white space and invisible characters are
removed. Its bytes are stored once, addressed by their sha256, like any other media; the
original is kept exactly as sent (normalisation is the detectors' business).
"""

from __future__ import annotations

import hashlib

from modgate.errors import EmptyTextException, InvalidTextException, TextSizeLimitExceededException
from modgate.media.models import MediaInfo, MediaLimits

TEXT_FORMAT = "TEXT"
TEXT_MIME = "text/plain; charset=utf-8"
# Characters that show nothing: a text of only these is empty.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u034f\u180e"
)


def text_bytes(text: str | bytes, limits: MediaLimits, field: str = "text") -> bytes:
    """The UTF-8 bytes of a submitted text, checked (see the module docstring)."""
    if isinstance(text, str):
        if len(text) > limits.max_text_bytes:  # at least one byte a character
            raise _too_large(len(text), limits, field)
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidTextException(
                f"{field} is not valid Unicode: a lone surrogate at character {exc.start}."
            ) from exc
    else:
        data = bytes(text)
    if len(data) > limits.max_text_bytes:
        raise _too_large(len(data), limits, field)
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidTextException(
            f"{field} is not valid UTF-8 (byte {exc.start}: {exc.reason})."
        ) from exc
    if "\x00" in decoded:
        raise InvalidTextException(f"{field} holds a NUL character (U+0000).")
    if not any(not c.isspace() and c not in _INVISIBLE and c.isprintable() for c in decoded):
        raise EmptyTextException(f"{field} is empty: there is nothing to read in it.")
    return data


def text_info(data: bytes) -> MediaInfo:
    """The media facts of checked text bytes."""
    return MediaInfo(
        kind="text",
        format=TEXT_FORMAT,
        mime=TEXT_MIME,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=0,
        height=0,
    )


def _too_large(size: int, limits: MediaLimits, field: str) -> TextSizeLimitExceededException:
    return TextSizeLimitExceededException(
        f"{field} is {size} bytes or more; the limit is {limits.max_text_bytes} UTF-8 bytes "
        "(MODGATE_MAX_TEXT_BYTES).",
        limit=limits.max_text_bytes,
    )
