"""What a moderation request carries, made plain before the service uses it: the context with
its empty values dropped, base64 media (broken into lines or given as a ``data:`` URI)
decoded strictly, and a text's language code checked."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from modgate.errors import InvalidParameterException


def clean_context(context: dict[str, Any] | None) -> dict[str, Any]:
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise InvalidParameterException("context must be an object.")
    return {key: value for key, value in context.items() if value not in (None, "")}


_DATA_URI = re.compile(r"^data:[\w.+-]+/[\w.+-]+(;[\w.+-]+=[\w.+-]+)*;base64,", re.IGNORECASE)


def decode_base64(text: str) -> bytes:
    """Standard base64 as clients send it: line breaks (MIME's 76 columns) and a ``data:`` URI
    prefix are accepted; any other character outside the alphabet is refused."""
    text = _DATA_URI.sub("", text.strip(), count=1)
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidParameterException("media.base64 is not valid base64.") from exc


# ISO 639-1 (or 639-3) with an optional region or script: "en", "pt-BR", "zh-Hant".
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def check_language(language: str) -> str:
    """A text's language code, as an ISO 639 code such as ``en`` or ``pt-BR``."""
    if not _LANGUAGE.fullmatch(language):
        raise InvalidParameterException(
            f"language {language[:20]!r} is not an ISO 639 code such as 'en' or 'pt-BR'."
        )
    return language
