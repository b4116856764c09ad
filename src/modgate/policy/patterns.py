r"""Text-rule patterns, run by RE2: time linear in the text, whatever the pattern.

Text rules search text found in images, and whoever uploads an image chooses that text. Python's
``re`` backtracks: ``(a+)+$`` against a long line of ``a`` ending in ``b`` takes time exponential
in the line's length. RE2 (``google-re2``) never backtracks, so it cannot run backreferences,
lookahead, lookbehind, atomic groups or possessive quantifiers; ``compile_text_pattern`` refuses
such a pattern with a ``PatternError`` saying why, and validation reports it against the rule.

Policies were written for Python's ``re``. Where both read a pattern but would match differently,
the pattern is rewritten to keep Python's meaning: ``\d``, ``\w`` and ``\s`` (and ``\D``, ``\S``,
``\W``) match any script, as in Python (RE2's own are ASCII-only); ``\Z`` is RE2's ``\z``;
``{,n}`` is ``{0,n}``; ``\uXXXX`` and ``\UXXXXXXXX`` become ``\x{...}``. Left as RE2 has them,
and documented in docs/policy.md: ``\b`` and ``\B`` are ASCII word boundaries, and ``$`` without
``(?m)`` matches only at the very end (Python also matches before a final newline).
"""

from __future__ import annotations

import re
from typing import Any, Literal, Protocol

import re2

MAX_PATTERN_MEMORY = 8 * 1024 * 1024  # RE2's own default, stated so the docs can name it

# Python's Unicode \d is category Nd; \w is str.isalnum() or "_"; \s is str.isspace().
_DIGIT = r"\p{Nd}"
_WORD = r"\p{L}\p{N}_"
_SPACE = r"\t-\r\x{1c}-\x{20}\x{85}\p{Z}"
_OUTSIDE_CLASS = {
    "d": _DIGIT,
    "D": r"\P{Nd}",
    "w": f"[{_WORD}]",
    "W": f"[^{_WORD}]",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
    "Z": r"\z",
}
_INSIDE_CLASS = {"d": _DIGIT, "D": r"\P{Nd}", "w": _WORD, "s": _SPACE}
_OPEN_REPEAT = re.compile(r"\{,([0-9]*)\}")
_POSIX_CLASS = re.compile(r"\[:\^?[a-z]+:\]")
_HEX = frozenset("0123456789abcdefABCDEF")

# RE2's error text → what the policy author should know.
_BACKTRACKING = "text rules run on RE2, which never backtracks"
_HINTS = (
    (r"invalid escape sequence: \\[1-9]", "backreferences such as \\1", _BACKTRACKING),
    (r"invalid perl operator: \(\?P[^<]?$", "named backreferences (?P=name)", _BACKTRACKING),
    (r"invalid perl operator: \(\?<?[=!]", "lookahead and lookbehind", _BACKTRACKING),
    (r"invalid perl operator: \(\?>", "atomic groups (?>...)", _BACKTRACKING),
    (r"invalid perl operator: \(\?\(", "conditionals (?(1)...)", _BACKTRACKING),
    (r"bad repetition operator: .\+", "possessive quantifiers such as a++", _BACKTRACKING),
    (
        r"invalid perl operator: \(\?[#auxL]",
        "Python's (?x) (?a) (?u) (?L) flags and (?#...) comments",
        "RE2 has the flags i, m, s and U",
    ),
)


class PatternError(ValueError):
    """A text-rule pattern that RE2 cannot run; the message says why."""


class TextMatch(Protocol):
    def group(self, index: Literal[0] = 0, /) -> str: ...


class TextPattern(Protocol):
    """What the engine needs of a compiled text pattern (``re.Pattern[str]`` has it too)."""

    def search(self, text: str, /) -> TextMatch | None: ...


class Re2Pattern:
    """A compiled text-rule pattern; ``pattern`` is the text as written in the policy."""

    __slots__ = ("_regexp", "pattern")

    def __init__(self, pattern: str, regexp: Any) -> None:
        self.pattern = pattern
        self._regexp = regexp

    def search(self, text: str, /) -> TextMatch | None:
        found: TextMatch | None
        try:
            found = self._regexp.search(text)
        except UnicodeEncodeError:
            # RE2 reads UTF-8, and a lone surrogate (JSON allows "\ud800") has no UTF-8 form.
            found = self._regexp.search(text.encode("utf-8", "replace").decode("utf-8"))
        return found

    def __repr__(self) -> str:
        return f"Re2Pattern({self.pattern!r})"


def compile_text_pattern(pattern: str) -> Re2Pattern:
    """Compile a text rule's pattern for RE2, or raise ``PatternError`` saying why it cannot."""
    options = re2.Options()
    options.max_mem = MAX_PATTERN_MEMORY
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    try:
        regexp = re2.compile(to_re2_syntax(pattern), options)
    except UnicodeEncodeError as exc:
        raise PatternError("the pattern is not valid Unicode text") from exc
    except re2.error as exc:
        raise PatternError(_explain(exc)) from exc
    return Re2Pattern(pattern, regexp)


def to_re2_syntax(pattern: str) -> str:
    """``pattern`` as RE2 must read it to match what Python's ``re`` matches (see above)."""
    out: list[str] = []
    index, end = 0, len(pattern)
    while index < end:
        char = pattern[index]
        if char == "\\" and index + 1 < end:
            replacement, index = _escape(pattern, index, in_class=False)
        elif char == "[":
            replacement, index = _character_class(pattern, index)
        elif char == "{" and (repeat := _OPEN_REPEAT.match(pattern, index)):
            replacement, index = f"{{0,{repeat.group(1)}}}", repeat.end()
        else:
            replacement, index = char, index + 1
        out.append(replacement)
    return "".join(out)


def _character_class(pattern: str, start: int) -> tuple[str, int]:
    """The RE2 spelling of the ``[...]`` at ``start`` and the index after it.

    ``\\W`` and ``\\S`` have no inside-a-class form in RE2, so ``[a\\W]`` becomes
    ``(?:[a]|[^...])``; under ``[^...]`` that would need an intersection, which is refused.
    """
    negated = pattern.startswith("^", start + 1)
    index = first = start + 2 if negated else start + 1
    items: list[str] = []
    complements: list[str] = []
    while index < len(pattern) and (pattern[index] != "]" or index == first):
        letter = pattern[index + 1] if pattern[index] == "\\" and index + 1 < len(pattern) else ""
        posix = _POSIX_CLASS.match(pattern, index)
        if letter in ("W", "S"):
            complements.append(_WORD if letter == "W" else _SPACE)
            index += 2
        elif letter:
            item, index = _escape(pattern, index, in_class=True)
            items.append(item)
        else:
            item = posix.group() if posix else pattern[index]
            items.append(item)
            index += len(item)
    if index >= len(pattern):
        return pattern[start:], len(pattern)  # unterminated: RE2 reports "missing ]"
    body = "".join(items)
    if not complements:
        return f"[{'^' if negated else ''}{body}]", index + 1
    if negated and (body or len(complements) > 1):
        raise PatternError(
            "[^...] containing \\W or \\S cannot be run by RE2; spell the class out, for example "
            f"[{_WORD[:-1]}] for [^\\W_]"
        )
    if negated:
        return f"[{complements[0]}]", index + 1
    alternatives = ([f"[{body}]"] if body else []) + [f"[^{c}]" for c in complements]
    return f"(?:{'|'.join(alternatives)})", index + 1


def _escape(pattern: str, index: int, in_class: bool) -> tuple[str, int]:
    """The RE2 spelling of the escape at ``index`` and the index after it."""
    letter = pattern[index + 1]
    if letter == "Q":  # RE2's quoted text runs to \E; nothing inside it is an escape
        close = pattern.find("\\E", index + 2)
        after = len(pattern) if close < 0 else close + 2
        return pattern[index:after], after
    if letter == "C":
        raise PatternError("\\C (any single byte) is not supported: it can split a character")
    table = _INSIDE_CLASS if in_class else _OUTSIDE_CLASS
    if letter in table:
        return table[letter], index + 2
    width = {"u": 4, "U": 8}.get(letter, 0)
    digits = pattern[index + 2 : index + 2 + width]
    if width and len(digits) == width and set(digits) <= _HEX:
        return f"\\x{{{digits}}}", index + 2 + width
    return pattern[index : index + 2], index + 2


def _explain(exc: re2.error) -> str:
    raw = exc.args[0] if exc.args else exc
    detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    for test, feature, reason in _HINTS:
        if re.search(test, detail):
            return f"{feature} are not supported: {reason} (RE2 says: {detail})"
    if "pattern too large" in detail:
        return (
            f"the pattern needs more than {MAX_PATTERN_MEMORY // (1024 * 1024)} MiB once compiled; "
            f"use smaller counted repetitions"
        )
    return detail
