"""Personal data in text, named as Amazon Comprehend's ``DetectPiiEntities`` names it.

E-mail addresses (``EMAIL``), phone numbers (``PHONE``), payment card numbers that pass the
Luhn check (``CREDIT_DEBIT_NUMBER``), IBANs whose mod-97 check holds
(``INTERNATIONAL_BANK_ACCOUNT_NUMBER``), web addresses (``URL``) and ``@handles``
(``USERNAME``). Patterns run on RE2 (time linear in the text) over the normalised text, so
full-width digits and zero-width characters do not hide a number; any language.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

import re2

from modgate.detection.text.base import PiiEvidence, TextDetector, TextOutput
from modgate.detection.text.normalize import NormalisedText

_OPTIONS = re2.Options()
_OPTIONS.max_mem = 8 * 1024 * 1024
_EMAIL = re2.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}", _OPTIONS)
_URL = re2.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9-]+\.(?:com|net|org|io|co|me|"
    r"info|biz|ly|gg|tv|app|xyz|ru|de|uk|fr)(?:/[^\s<>\"']*)?\b",
    _OPTIONS,
)
_PHONE = re2.compile(r"(?:\+|\b00)?\d[\d ().-]{6,20}\d\b", _OPTIONS)
_CARD = re2.compile(r"\b\d(?:[ -]?\d){12,18}\b", _OPTIONS)
_IBAN = re2.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", _OPTIONS)
_HANDLE = re2.compile(r"(?:^|[^\w@.])(@[A-Za-z0-9_]{2,30})\b", _OPTIONS)


def luhn_valid(digits: str) -> bool:
    """The Luhn check of a payment card number (digits only)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616's mod-97 check of an IBAN (no spaces)."""
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


class PiiFinder(TextDetector):
    """E-mail, phone, payment card, IBAN, URL and handle finders (any language)."""

    name = "pii"
    version = "1"
    entities = (
        "EMAIL",
        "PHONE",
        "CREDIT_DEBIT_NUMBER",
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
        "URL",
        "USERNAME",
    )

    def setup(self) -> None:
        pass

    def predict(self, texts: Sequence[NormalisedText]) -> list[TextOutput]:
        return [TextOutput(entities=_entities(text.text)) for text in texts]


def _entities(text: str) -> list[PiiEvidence]:
    """Findings that do not overlap one found before (a card number is not also a phone)."""
    found: list[PiiEvidence] = []
    begins: list[int] = []  # the spans taken, kept sorted and disjoint
    ends: list[int] = []
    for kind, score, begin, end in _candidates(text):
        at = bisect.bisect_right(begins, begin)
        if (at and ends[at - 1] > begin) or (at < len(begins) and begins[at] < end):
            continue
        begins.insert(at, begin)
        ends.insert(at, end)
        found.append(PiiEvidence(kind, score, begin, end))
    found.sort(key=lambda e: (e.begin, e.end))
    return found


def _candidates(text: str) -> Iterator[tuple[str, float, int, int]]:
    """Findings, the most specific kinds first."""
    for match in _EMAIL.finditer(text):
        yield "EMAIL", 0.99, match.start(), match.end()
    for match in _CARD.finditer(text):
        digits = "".join(c for c in match.group(0) if c.isdigit())
        if luhn_valid(digits):
            yield "CREDIT_DEBIT_NUMBER", 0.98, match.start(), match.end()
    for match in _IBAN.finditer(text):
        compact = match.group(0).replace(" ", "")
        if 15 <= len(compact) <= 34 and iban_valid(compact):
            yield "INTERNATIONAL_BANK_ACCOUNT_NUMBER", 0.99, match.start(), match.end()
    for match in _URL.finditer(text):
        yield "URL", 0.95, match.start(), match.end()
    for match in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in match.group(0))
        if 8 <= digits <= 15:
            yield "PHONE", 0.9, match.start(), match.end()
    for match in _HANDLE.finditer(text):
        yield "USERNAME", 0.8, match.start(1), match.end(1)
