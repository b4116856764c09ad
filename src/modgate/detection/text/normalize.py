"""Text as detectors read it: one pass that undoes the usual ways of hiding a word, with every
character of the result mapped back to the original.

People who want a word past a filter write it in full-width letters (``ｆｕｃｋ``), with Cyrillic
look-alikes (``fuсk`` with a Cyrillic ``с``), with zero-width characters between its letters, or
in leetspeak (``sh1t``). ``normalise`` gives two strings of the same length:

- ``text``: Unicode NFKC, look-alike letters in words that mix scripts mapped to Latin, and
  zero-width, format and control characters dropped (tab and line breaks kept). PII finders and
  policy text rules read this one.
- ``folded``: ``text`` in lower case without diacritics, with leetspeak digits and symbols read
  as letters inside words that have letters (``sh1t`` → ``shit``; ``2024`` stays). Word lists
  and the classifier read this one.

``origin[i]`` is the index in the original of the character ``i`` of both, so a span found in
either maps back with ``span_in_original``. The pass is linear in the text's length, whatever
the text (a million zero-width characters cost one loop over them).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Zero-width and invisible characters used to split a word without showing it. Every other
# format (Cf) and control (Cc) character is dropped too, except tab, line feed and return.
_KEPT_CONTROLS = frozenset("\t\n\r")

# Letters of other scripts that look like Latin letters (from Unicode's confusables, the ones
# seen in spoofing). Applied only inside a word that also has Latin letters: a whole Russian or
# Greek word is left alone.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d",
        "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y", "ɡ": "g",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ԁ": "D",
        # Greek
        "α": "a", "ο": "o", "ν": "v", "ρ": "p", "ι": "i", "κ": "k", "τ": "t", "υ": "u",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    }
)  # fmt: skip
_LEET = {
    "0": "o", "1": "i", "2": "z", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b",
    "9": "g", "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e", "£": "l",
}  # fmt: skip
_LEET_CHARS = frozenset(_LEET)
_PLAIN = re.compile(r"[\t\n\r\x20-\x7e]*")


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """The original, the two normalised forms and the map back (see the module docstring)."""

    original: str
    text: str
    folded: str
    origin: tuple[int, ...]
    mixed_script: bool = False
    hidden_characters: int = 0

    def span_in_original(self, begin: int, end: int) -> tuple[int, int]:
        """The original's ``[begin, end)`` behind the normalised ``[begin, end)``."""
        if end <= begin:
            at = self.origin[begin] if begin < len(self.origin) else len(self.original)
            return at, at
        return self.origin[begin], self.origin[end - 1] + 1


def _script(char: str) -> str:
    """A coarse script of a letter: ``LATIN``, ``CYRILLIC``, ``GREEK`` or another first word
    of its Unicode name."""
    try:
        return unicodedata.name(char).split(" ", 1)[0]
    except ValueError:
        return ""


def _fold(char: str) -> str:
    """One character in lower case without its diacritics, still one character."""
    lowered = char.lower()
    if len(lowered) != 1:
        lowered = char
    if lowered.isascii():
        return lowered
    base = "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))
    return base[0] if len(base) == 1 else lowered


def normalise(original: str) -> NormalisedText:
    """The normalised forms of ``original`` (see the module docstring)."""
    if original.isascii() and _PLAIN.fullmatch(original):  # most comments: nothing to undo
        return NormalisedText(original, original, _folded(original), tuple(range(len(original))))
    chars: list[str] = []
    origin: list[int] = []
    hidden = 0
    for index, char in enumerate(original):
        if char.isascii() and (char.isprintable() or char in _KEPT_CONTROLS):
            chars.append(char)
            origin.append(index)
            continue
        category = unicodedata.category(char)
        if category in ("Cf", "Cc", "Cs", "Co", "Cn") and char not in _KEPT_CONTROLS:
            hidden += 1
            continue
        for part in unicodedata.normalize("NFKC", char):
            if unicodedata.category(part) in ("Cf", "Cc"):
                continue
            chars.append(part)
            origin.append(index)
    text, mixed = _unspoofed(chars)
    return NormalisedText(original, text, _folded(text), tuple(origin), mixed, hidden)


def _unspoofed(chars: list[str]) -> tuple[str, bool]:
    """Look-alike letters mapped to Latin inside words that mix Latin with another script."""
    mixed = False
    start = 0
    length = len(chars)
    while start < length:
        if not chars[start].isalpha():
            start += 1
            continue
        end = start
        while end < length and (chars[end].isalnum() or chars[end] in _LEET_CHARS):
            end += 1
        word = chars[start:end]
        if not all(c.isascii() for c in word):
            scripts = {_script(c) for c in word if c.isalpha()}
            if "LATIN" in scripts and len(scripts) > 1:
                mixed = True
                chars[start:end] = "".join(word).translate(_CONFUSABLES)
        start = end
    return "".join(chars), mixed


def _folded(text: str) -> str:
    """``text`` lowered, without diacritics, leetspeak read inside words that have letters."""
    folded = [_fold(c) for c in text]
    length = len(folded)
    start = 0
    while start < length:
        if not (folded[start].isalnum() or folded[start] in _LEET_CHARS):
            start += 1
            continue
        end = start
        while end < length and (folded[end].isalnum() or folded[end] in _LEET_CHARS):
            end += 1
        if any(c.isalpha() for c in folded[start:end]):
            # A symbol counts as a letter inside a word or before one ("$hit", "a$$hole"), not
            # as punctuation after it ("idiot!"): walk back, knowing whether a letter follows.
            letter_after = False
            for i in range(end - 1, start - 1, -1):
                char = folded[i]
                if char.isalnum():
                    folded[i] = _LEET.get(char, char)
                    letter_after = True
                elif letter_after:
                    folded[i] = _LEET[char]
        start = end
    return "".join(folded)
